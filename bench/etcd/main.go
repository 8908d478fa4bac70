// etcd-workload runs the reference workloads (workload.go) against
// go.etcd.io/raft/v3 and prints one line per cell, in craft-workload's
// format, with craft-workload's flags (bench/workload/main.cc):
//
//	etcd-workload [--workload throughput|idle] [--voters V] [--batch B]
//	              [--variant propose|msgprop] [--n N] [--groups G]
//	              [--reps R]
//	etcd-workload --matrix [--n N] [--groups G] [--reps R]
//
// --matrix runs every throughput cell (V in {1, 3} x B in {1, 16, 256} x
// both variants) and then the idle workload. Exits 1 when a workload's
// end-of-run check fails, 2 on a bad command line.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func usage(why string) int {
	fmt.Fprintf(os.Stderr, "etcd-workload: %s\n"+
		"usage: etcd-workload [--workload throughput|idle] [--voters V] "+
		"[--batch B] [--variant propose|msgprop] [--n N] [--groups G] "+
		"[--reps R] [--matrix]\n", why)
	return 2
}

// report prints the result line, or the failure; false on failure.
func report(name, line string, err error) bool {
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd-workload: %s failed: %v\n", name, err)
		return false
	}
	fmt.Println(line)
	return true
}

func runOneThroughput(o throughputOptions) bool {
	r, err := runThroughput(o)
	return report("throughput", formatThroughput(o, r), err)
}

func runOneIdle(o idleOptions) bool {
	r, err := runIdle(o)
	return report("idle", formatIdle(o, r), err)
}

func run(args []string) int {
	t := throughputOptions{voters: 3, batch: 16, variant: "msgprop",
		n: 100000, reps: 7}
	idle := idleOptions{groups: 10000, rounds: 21}
	workload := "throughput"
	matrix := false
	for i := 0; i < len(args); i++ {
		flag := args[i]
		if flag == "--matrix" {
			matrix = true
			continue
		}
		if i+1 >= len(args) {
			return usage("missing value for " + flag)
		}
		i++
		value := args[i]
		n, err := strconv.ParseUint(value, 10, 64)
		number := err == nil && n > 0
		switch {
		case flag == "--workload":
			if value != "throughput" && value != "idle" {
				return usage("--workload is throughput or idle")
			}
			workload = value
		case flag == "--variant":
			if value != "propose" && value != "msgprop" {
				return usage("--variant is propose or msgprop")
			}
			t.variant = value
		case !number:
			return usage(flag + " needs a positive number")
		case flag == "--voters" && n <= 7:
			t.voters = int(n)
		case flag == "--batch" && n <= 1000000:
			t.batch = int(n)
		case flag == "--n":
			t.n = n
		case flag == "--groups":
			idle.groups = n
		case flag == "--reps" && n <= 1000:
			t.reps = int(n)
		default:
			return usage("unknown flag or value out of range: " + flag)
		}
	}
	if !matrix {
		ok := false
		if workload == "idle" {
			ok = runOneIdle(idle)
		} else {
			ok = runOneThroughput(t)
		}
		if !ok {
			return 1
		}
		return 0
	}
	ok := true
	for _, voters := range []int{1, 3} {
		for _, batch := range []int{1, 16, 256} {
			for _, variant := range []string{"propose", "msgprop"} {
				cell := t
				cell.voters, cell.batch, cell.variant = voters, batch, variant
				ok = runOneThroughput(cell) && ok
			}
		}
	}
	ok = runOneIdle(idle) && ok
	if !ok {
		return 1
	}
	return 0
}

func main() { os.Exit(run(os.Args[1:])) }
