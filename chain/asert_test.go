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
	lines            []vectorLine
}

// vectorLine is one data line of a vector file: the tip's height and time
// and the compact target the next block must carry.
type vectorLine struct {
	lineNo    int
	iteration int
	height    uint64
	time      int64
	bits      uint32
}

// readVectorFile parses a file in the format of the conformance vectors
// (testdata/asert/README.md): "## key: value" headers, "#" comments and
// data lines "iteration height time bits". It checks that the lines are
// numbered 1, 2, ... and that there are as many as the "iterations" header
// says. Heights are unsigned because run 10 crosses the largest int64.
func readVectorFile(path string) (map[string]string, []vectorLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()

	headers := map[string]string{}
	var lines []vectorLine
	scanner := bufio.NewScanner(f)
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "##"):
			key, value, ok := strings.Cut(strings.TrimPrefix(line, "##"), ":")
			if !ok {
				return nil, nil, fmt.Errorf("line %d: header without ':': %q", lineNo, line)
			}
			headers[strings.TrimSpace(key)] = strings.TrimSpace(value)
		case strings.HasPrefix(line, "#"):
			continue // column legend
		default:
			l, err := parseVectorLine(lineNo, line)
			if err != nil {
				return nil, nil, err
			}
			if l.iteration != len(lines)+1 {
				return nil, nil, fmt.Errorf("line %d: iteration %d, want %d", lineNo, l.iteration, len(lines)+1)
			}
			lines = append(lines, l)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, nil, err
	}
	iterations, err := strconv.Atoi(headers["iterations"])
	if err != nil {
		return nil, nil, fmt.Errorf("header iterations: %v", err)
	}
	if len(lines) == 0 || len(lines) != iterations {
		return nil, nil, fmt.Errorf("%d data lines, header says %d iterations", len(lines), iterations)
	}
	return headers, lines, nil
}

func parseVectorLine(lineNo int, line string) (vectorLine, error) {
	fields := strings.Fields(line)
	if len(fields) != 4 {
		return vectorLine{}, fmt.Errorf("line %d: want 4 fields, got %d: %q", lineNo, len(fields), line)
	}
	l := vectorLine{lineNo: lineNo}
	var err error
	if l.iteration, err = strconv.Atoi(fields[0]); err != nil {
		return l, fmt.Errorf("line %d: iteration: %v", lineNo, err)
	}
	if l.height, err = strconv.ParseUint(fields[1], 10, 64); err != nil {
		return l, fmt.Errorf("line %d: height: %v", lineNo, err)
	}
	if l.time, err = strconv.ParseInt(fields[2], 10, 64); err != nil {
		return l, fmt.Errorf("line %d: time: %v", lineNo, err)
	}
	if l.bits, err = parseCompactHex(fields[3]); err != nil {
		return l, fmt.Errorf("line %d: target: %v", lineNo, err)
	}
	return l, nil
}

// parseASERTRun parses a conformance file and its anchor headers (runs 11
// and 12 say "anchor parent time" where the others say "anchor ancestor
// time").
func parseASERTRun(path string) (*asertRun, error) {
	headers, lines, err := readVectorFile(path)
	if err != nil {
		return nil, err
	}
	run := &asertRun{lines: lines}
	parentTime, ok := headers["anchor ancestor time"]
	if !ok {
		parentTime = headers["anchor parent time"]
	}
	if run.anchorHeight, err = strconv.ParseUint(headers["anchor height"], 10, 64); err != nil {
		return nil, fmt.Errorf("header anchor height: %v", err)
	}
	if run.anchorParentTime, err = strconv.ParseInt(parentTime, 10, 64); err != nil {
		return nil, fmt.Errorf("header anchor parent time: %v", err)
	}
	if run.anchorBits, err = parseCompactHex(headers["anchor nBits"]); err != nil {
		return nil, fmt.Errorf("header anchor nBits: %v", err)
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

			anchorTarget, err := TargetFromBits(run.anchorBits, powLimit)
			if err != nil {
				t.Fatalf("%s: anchor nBits: %v", path, err)
			}

			mismatches := 0
			for _, l := range run.lines {
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
