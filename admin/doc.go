// Package admin performs operations on a pegasus-go cluster as plain
// methods — create, drop and recall tables, list nodes, read cluster info —
// so that the shell, scripts and the onebox share one implementation. It
// talks to the meta servers with the same RPCs upstream's admin tools use.
package admin
