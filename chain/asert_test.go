package chain

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The aserti3-2d conformance vectors published with the specification,
// carried in testdata/asert; see README.md there for the format.
const (
	asertVectorDir      = "testdata/asert"
	asertVectorRuns     = 12
	asertSpacing        = 600
	asertHalfLife       = 172800
	asertPowLimitBits   = 0x1d00ffff
	asertMaxMismatchLog = 10
)

// asertRun is one parsed conformance file.
type asertRun struct {
	anchorHeight     uint64
	anchorParentTime int64
	anchorBits       uint32
	iterations       int
	hasIterations    bool
	lines            []asertLine
}

// asertLine is one data line: the tip's height and time and the compact
// target the next block must carry.
type asertLine struct {
	lineNo    int
	iteration int
	height    uint64
	time      int64
	bits      uint32
}

// parseASERTRun parses a conformance file. Heights are unsigned because run
// 10 crosses the largest int64.
func parseASERTRun(path string) (*asertRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	run := &asertRun{}
	var haveHeight, haveTime, haveBits bool
	scanner := bufio.NewScanner(f)
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "##"):
			key, value, ok := strings.Cut(strings.TrimPrefix(line, "##"), ":")
			if !ok {
				return nil, fmt.Errorf("line %d: header without ':': %q", lineNo, line)
			}
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			switch key {
			case "anchor height":
				run.anchorHeight, err = strconv.ParseUint(value, 10, 64)
				haveHeight = true
			case "anchor ancestor time", "anchor parent time":
				run.anchorParentTime, err = strconv.ParseInt(value, 10, 64)
				haveTime = true
			case "anchor nBits":
				run.anchorBits, err = parseCompactHex(value)
				haveBits = true
			case "iterations":
				run.iterations, err = strconv.Atoi(value)
				run.hasIterations = true
			}
			if err != nil {
				return nil, fmt.Errorf("line %d: header %q: %v", lineNo, key, err)
			}
		case strings.HasPrefix(line, "#"):
			continue // column legend
		default:
			fields := strings.Fields(line)
			if len(fields) != 4 {
				return nil, fmt.Errorf("line %d: want 4 fields, got %d: %q", lineNo, len(fields), line)
			}
			l := asertLine{lineNo: lineNo}
			if l.iteration, err = strconv.Atoi(fields[0]); err != nil {
				return nil, fmt.Errorf("line %d: iteration: %v", lineNo, err)
			}
			if l.height, err = strconv.ParseUint(fields[1], 10, 64); err != nil {
				return nil, fmt.Errorf("line %d: height: %v", lineNo, err)
			}
			if l.time, err = strconv.ParseInt(fields[2], 10, 64); err != nil {
				return nil, fmt.Errorf("line %d: time: %v", lineNo, err)
			}
			if l.bits, err = parseCompactHex(fields[3]); err != nil {
				return nil, fmt.Errorf("line %d: target: %v", lineNo, err)
			}
			run.lines = append(run.lines, l)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if !haveHeight || !haveTime || !haveBits || !run.hasIterations {
		return nil, fmt.Errorf("missing header: anchor height %v, anchor parent time %v, anchor nBits %v, iterations %v",
			haveHeight, haveTime, haveBits, run.hasIterations)
	}
	return run, nil
}

func parseCompactHex(s string) (uint32, error) {
	if !strings.HasPrefix(s, "0x") {
		return 0, fmt.Errorf("%q: want 0x prefix", s)
	}
	v, err := strconv.ParseUint(s[2:], 16, 32)
	return uint32(v), err
}

// TestASERTConformance checks every line of the twelve specification runs.
func TestASERTConformance(t *testing.T) {
	powLimit := CompactToBig(asertPowLimitBits)
	for i := 1; i <= asertVectorRuns; i++ {
		name := fmt.Sprintf("run%02d", i)
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(asertVectorDir, name)
			run, err := parseASERTRun(path)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(run.lines) == 0 {
				t.Fatalf("%s: no data lines", path)
			}
			if len(run.lines) != run.iterations {
				t.Fatalf("%s: %d data lines, header says %d iterations", path, len(run.lines), run.iterations)
			}

			anchorTarget, err := TargetFromBits(run.anchorBits, powLimit)
			if err != nil {
				t.Fatalf("%s: anchor nBits: %v", path, err)
			}

			mismatches := 0
			for j, l := range run.lines {
				if l.iteration != j+1 {
					t.Errorf("%s:%d: iteration %d, want %d", path, l.lineNo, l.iteration, j+1)
				}
				if l.height < run.anchorHeight {
					t.Fatalf("%s:%d: height %d below anchor height %d", path, l.lineNo, l.height, run.anchorHeight)
				}
				// Unsigned subtraction: run 10's heights exceed int64,
				// their difference does not.
				heightDiff := int64(l.height - run.anchorHeight)
				timeDiff := l.time - run.anchorParentTime

				got := BigToCompact(CalcASERT(anchorTarget, asertSpacing, asertHalfLife,
					timeDiff, heightDiff, powLimit))
				if got != l.bits {
					mismatches++
					if mismatches <= asertMaxMismatchLog {
						t.Errorf("%s:%d: height %d time %d (heightDiff %d, timeDiff %d): got %#08x, want %#08x",
							path, l.lineNo, l.height, l.time, heightDiff, timeDiff, got, l.bits)
					}
				}
			}
			if mismatches > asertMaxMismatchLog {
				t.Errorf("%s: %d mismatches in total (first %d shown)", path, mismatches, asertMaxMismatchLog)
			}
		})
	}
}
