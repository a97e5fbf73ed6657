package shell

import (
	"fmt"
	"io"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
)

// Exit statuses of doctor, Nagios-style: 0 healthy (info findings at
// most), 1 warnings, 2 critical; 3 (unreachable) as every command.
const (
	exitDoctorWarning  = 1
	exitDoctorCritical = 2
)

func init() {
	register(&Command{Name: "doctor", Group: "cluster", Summary: "check the cluster's health and suggest fixes", JSON: true, Output: true,
		Help: "Checks the cluster and prints each finding with its severity and a suggested command:\n" +
			"replica servers down and partitions without a primary (critical); partitions with fewer\n" +
			"members than max_replica_count and a meta level other than steady/lively (warning);\n" +
			"dropped tables expiring within 24 h and primaries unbalanced across alive nodes (info).\n" +
			"Exit status: 0 healthy (info only), 1 warnings, 2 critical, 3 unreachable.\n" +
			"JSON: {\"status\": \"healthy|warning|critical\", \"findings\": [{severity, check, subject,\n" +
			"message, suggestion}]}.",
		Run: runDoctor})
}

type doctorJSON struct {
	Status   string          `json:"status"`
	Findings []admin.Finding `json:"findings"`
}

func runDoctor(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	findings, err := c.s.admin.Doctor(ctx)
	if err != nil {
		return failf(err, "doctor failed, error=%s", describe(err))
	}
	if findings == nil {
		findings = []admin.Finding{}
	}
	status := admin.Status(findings)
	if err := c.Emit(doctorJSON{Status: status.String(), Findings: findings}, func(w io.Writer) {
		printFindings(w, status, findings)
	}); err != nil {
		return err
	}
	switch status {
	case admin.Critical:
		return &failure{msg: "doctor: cluster status is critical", code: exitDoctorCritical}
	case admin.Warning:
		return &failure{msg: "doctor: cluster status is warning", code: exitDoctorWarning}
	}
	return nil
}

func printFindings(w io.Writer, status admin.Severity, findings []admin.Finding) {
	counts := map[admin.Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
		fmt.Fprintf(w, "%-8s  %s  %s: %s\n", strings.ToUpper(f.Severity.String()), f.Check, f.Subject, f.Message)
		fmt.Fprintf(w, "          suggestion: %s\n", f.Suggestion)
	}
	fmt.Fprintf(w, "status: %s (%d critical, %d warning, %d info)\n",
		status, counts[admin.Critical], counts[admin.Warning], counts[admin.Info])
}
