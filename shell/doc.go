// Package shell is pegasus-shell: the command interpreter DBAs use on a
// Pegasus cluster, interactively (a go-prompt REPL with completion of live
// values) or from scripts (-e, -f, commands piped on standard input).
//
// Every command is declared once in a registry (registry.go): its name,
// flags in upstream's short and long spellings, positional arguments, a
// one-line summary and a longer help. The operations themselves live in
// package admin (cluster administration) and package client (data), so the
// REPL, scripts and other tools share them; a command here parses its
// arguments, calls them, and prints the result as text in upstream's
// layout or as JSON.
//
// Output discipline: results go to standard output (or the -o file);
// errors, progress, echoed options and session chatter (use, timeout,
// escape_all replies, the partition footer of data operations) go to
// standard error. Each command ends with an exit status (exit.go).
package shell
