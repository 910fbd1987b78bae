package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// cpuSample is the CPU time that the machine, and this process, have
// used since they started, from /proc. Other work on the same cores
// lowers the numbers, so each measurement reports how much of the machine
// other processes took while it ran; the load average cannot tell this
// process's own load from theirs.
type cpuSample struct {
	busy, own time.Duration
	ok        bool
}

// clockTick is the unit of /proc's CPU times, USER_HZ, which Linux fixes
// at 100 a second for user space.
const clockTick = 10 * time.Millisecond

func sampleCPU() cpuSample {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return cpuSample{}
	}
	// "cpu user nice system idle iowait irq softirq steal ...": all but
	// idle and iowait is work.
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuSample{}
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return cpuSample{}
		}
		busy += n
	}
	// proc_pid_stat(5): utime and stime are the 14th and 15th fields,
	// the 12th and 13th after the command name, which may hold spaces
	// but ends at the last ')'.
	i := strings.LastIndexByte(string(self), ')')
	g := strings.Fields(string(self)[i+1:])
	if i < 0 || len(g) < 13 {
		return cpuSample{}
	}
	ut, err1 := strconv.ParseInt(g[11], 10, 64)
	st, err2 := strconv.ParseInt(g[12], 10, 64)
	if err1 != nil || err2 != nil {
		return cpuSample{}
	}
	return cpuSample{busy: time.Duration(busy) * clockTick, own: time.Duration(ut+st) * clockTick, ok: true}
}

// othersCPU returns the share of the machine's CPUs, from 0 to 1, that
// other processes used between the samples a and b, taken elapsed apart,
// or -1 if unknown.
func othersCPU(a, b cpuSample, elapsed time.Duration) float64 {
	if !a.ok || !b.ok || elapsed <= 0 {
		return -1
	}
	others := (b.busy - a.busy) - (b.own - a.own)
	return max(0, others.Seconds()) / (elapsed.Seconds() * float64(runtime.NumCPU()))
}

func percent(share float64) string {
	if share < 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f %%", 100*share)
}
