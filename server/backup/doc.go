// Package backup is cold backup and restore: the block services a backup
// is written to (an interface, a local-filesystem provider and an
// in-memory one for tests), the layout of a backup on a provider, the
// per-partition manifests that make a backup verifiable, and the helpers
// that upload a checkpoint, download and check it, and verify a whole
// backup without restoring it. docs/backup.md describes the layout.
package backup
