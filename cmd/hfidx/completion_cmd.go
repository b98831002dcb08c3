package main

type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell: ${enum}."`
}

func (c *completionCmd) Run(a *app) error {
	return writeCompletion(a.stdout, a.kong.Model, c.Shell)
}
