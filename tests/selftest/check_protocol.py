#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check rdna1-selftest's stdout against src/selftest/PROTOCOL.md.

  check_protocol.py [--expect pass|wrong-result|error] [--min-heartbeats N]
                    [--exit-code N] [--failed-case NAME] FILE|-

Every line a JSON object with a known "event"; `start` first and `end`
last (or a single `error` when --expect error); a `case` for every
`case-start`, same index and name, in order; `cases` of `start` matches
the count (not for stress); `end`'s counts match the cases; heartbeats'
progress within 0..1. Prints the failing cases as "failed-case: NAME".
Exit 0 when the stream is valid and matches the expectations, else 1.
"""
import argparse
import json
import sys

EVENTS = {"start", "case-start", "heartbeat", "case", "end", "error"}
MAX_LINE = 64 * 1024


def fail(msg):
    print("protocol: " + msg)
    return False


def need(ev, fields, lineno):
    missing = [f for f in fields if f not in ev]
    if missing:
        return fail("line %d: %s lacks %s" % (lineno, ev.get("event"), ", ".join(missing)))
    return True


def check(lines, args):
    events = []
    for i, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            return fail("line %d longer than 64 KiB" % i)
        try:
            text = raw.decode("utf-8")
            ev = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except (UnicodeDecodeError, ValueError) as e:
            return fail("line %d is not a JSON object: %s" % (i, e))
        if not isinstance(ev, dict):
            return fail("line %d is not a JSON object" % i)
        if ev.get("event") not in EVENTS:
            return fail("line %d: unknown event %r" % (i, ev.get("event")))
        events.append((i, ev))
    if not events:
        return fail("no output")

    if args.expect == "error":
        if len(events) != 1 or events[0][1]["event"] != "error":
            return fail("expected exactly one error event, got %s" % [e["event"] for _, e in events])
        i, ev = events[0]
        if not need(ev, ["message", "missing"], i):
            return False
        if not isinstance(ev["message"], str) or not ev["message"]:
            return fail("error without a message")
        for word in args.mentions:
            if word not in ev["message"] + " " + str(ev["missing"]):
                return fail("error does not mention %r: %s" % (word, ev))
        print("error: %s (missing: %s)" % (ev["message"], ev["missing"]))
        return True

    if events[0][1]["event"] != "start":
        return fail("first event is %s, not start" % events[0][1]["event"])
    if events[-1][1]["event"] != "end":
        return fail("last event is %s, not end" % events[-1][1]["event"])
    start = events[0][1]
    if not need(start, ["backend", "sweep", "cases", "device", "runtime"], 1):
        return False
    open_case = None
    cases = []
    heartbeats = 0
    for i, ev in events[1:-1]:
        kind = ev["event"]
        if kind in ("start", "end", "error"):
            return fail("line %d: %s in the middle of the run" % (i, kind))
        if kind == "heartbeat":
            heartbeats += 1
            if not need(ev, ["index", "progress"], i):
                return False
            if not 0 <= ev["progress"] <= 1:
                return fail("line %d: progress %r outside 0..1" % (i, ev["progress"]))
        elif kind == "case-start":
            if not need(ev, ["index", "name"], i):
                return False
            if open_case is not None:
                return fail("line %d: case-start while case %r is open" % (i, open_case["name"]))
            if ev["index"] != len(cases):
                return fail("line %d: case index %r, expected %d" % (i, ev["index"], len(cases)))
            open_case = ev
        elif kind == "case":
            if not need(ev, ["index", "name", "result", "ms", "gflops", "max_abs_err", "bad_elements",
                             "repeatable"], i):
                return False
            if open_case is None or (ev["index"], ev["name"]) != (open_case["index"], open_case["name"]):
                return fail("line %d: case %r without its case-start" % (i, ev["name"]))
            if ev["result"] not in ("pass", "wrong-result"):
                return fail("line %d: result %r" % (i, ev["result"]))
            if (ev["result"] == "pass") != (ev["bad_elements"] == 0 and ev["repeatable"] is True):
                return fail("line %d: result %s disagrees with bad_elements/repeatable" % (i, ev["result"]))
            open_case = None
            cases.append(ev)
    if open_case is not None:
        return fail("case %r started but never finished" % open_case["name"])
    end = events[-1][1]
    if not need(end, ["result", "cases_passed", "cases_failed"], events[-1][0]):
        return False
    passed = sum(c["result"] == "pass" for c in cases)
    failed = len(cases) - passed
    if (end["cases_passed"], end["cases_failed"]) != (passed, failed):
        return fail("end counts %d/%d, cases say %d/%d" % (end["cases_passed"], end["cases_failed"], passed, failed))
    if end["result"] != ("wrong-result" if failed else "pass"):
        return fail("end result %r with %d failed case(s)" % (end["result"], failed))
    if start["sweep"] != "stress" and start["cases"] != len(cases):
        return fail("start announced %r cases, ran %d" % (start["cases"], len(cases)))
    if heartbeats < args.min_heartbeats:
        return fail("%d heartbeat(s), want at least %d" % (heartbeats, args.min_heartbeats))
    if args.expect and end["result"] != args.expect:
        return fail("result %s, expected %s" % (end["result"], args.expect))
    failed_names = [c["name"] for c in cases if c["result"] != "pass"]
    for name in failed_names:
        print("failed-case: " + name)
    if args.failed_case is not None and args.failed_case not in failed_names:
        return fail("case %r did not fail (failed: %s)" % (args.failed_case, failed_names))
    print("ok: %s %s, %d case(s), %d passed, %d failed, %d heartbeat(s)" %
          (start["backend"], start["sweep"], len(cases), passed, failed, heartbeats))
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--expect", choices=["pass", "wrong-result", "error"])
    ap.add_argument("--min-heartbeats", type=int, default=0)
    ap.add_argument("--failed-case")
    ap.add_argument("--mentions", action="append", default=[], help="with --expect error: a word the error names")
    args = ap.parse_args()
    data = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()
    if data and not data.endswith(b"\n"):
        return 0 if fail("output does not end with a newline (half a line)") else 1
    return 0 if check(data.split(b"\n")[:-1] if data else [], args) else 1


if __name__ == "__main__":
    sys.exit(main())
