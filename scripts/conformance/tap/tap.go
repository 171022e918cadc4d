// Package tap writes Test Anything Protocol (version 13) streams.
//
// scripts/conformance.sh places this package at the import path the OCI runtime-tools validation
// programs use for TAP output, because Debian ships no package for it. It provides only what those
// programs call. A T is not safe for concurrent use.
package tap

import (
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v2"
)

// T numbers and prints test points. Copies made by Todo share the counter of their origin.
type T struct {
	out   io.Writer
	count *int
	todo  bool
}

// New returns a T that writes to standard output.
func New() *T {
	return &T{out: os.Stdout, count: new(int)}
}

// Header prints the version line and, when planned > 0, the plan.
func (t *T) Header(planned int) {
	fmt.Fprintln(t.out, "TAP version 13")
	if planned > 0 {
		fmt.Fprintf(t.out, "1..%d\n", planned)
	}
}

// Ok prints one test point that passed when passed is true.
func (t *T) Ok(passed bool, description string) {
	*t.count++
	status := "ok"
	if !passed {
		status = "not ok"
	}
	directive := ""
	if t.todo {
		directive = " # TODO"
	}
	fmt.Fprintf(t.out, "%s %d - %s%s\n", status, *t.count, description, directive)
}

// Pass prints a passing test point.
func (t *T) Pass(description string) { t.Ok(true, description) }

// Fail prints a failing test point.
func (t *T) Fail(description string) { t.Ok(false, description) }

// Skip prints count passing test points carrying a SKIP directive with the reason.
func (t *T) Skip(count int, reason string) {
	for i := 0; i < count; i++ {
		*t.count++
		fmt.Fprintf(t.out, "ok %d # SKIP %s\n", *t.count, reason)
	}
}

// Todo returns a T whose test points carry a TODO directive; numbering stays shared with t.
func (t *T) Todo() *T {
	return &T{out: t.out, count: t.count, todo: true}
}

// Diagnostic prints message as comment lines.
func (t *T) Diagnostic(message string) {
	for _, line := range strings.Split(strings.TrimRight(message, "\n"), "\n") {
		fmt.Fprintf(t.out, "# %s\n", line)
	}
}

// Diagnosticf formats its arguments and prints them as comment lines.
func (t *T) Diagnosticf(format string, args ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, args...))
}

// YAML prints value as an indented YAML block attached to the previous test point.
func (t *T) YAML(value interface{}) error {
	body, err := yaml.Marshal(value)
	if err != nil {
		return err
	}
	fmt.Fprintln(t.out, "  ---")
	for _, line := range strings.Split(strings.TrimRight(string(body), "\n"), "\n") {
		fmt.Fprintf(t.out, "  %s\n", line)
	}
	fmt.Fprintln(t.out, "  ...")
	return nil
}

// AutoPlan prints the plan for the test points printed so far.
func (t *T) AutoPlan() {
	fmt.Fprintf(t.out, "1..%d\n", *t.count)
}
