#!/usr/bin/env python3
"""acknowledged.py KEY_FILE PROJECT TRANSCRIPT... - the answers each phone saw
acknowledged, as `pseudonym|question|code|value` lines (the form the fault
tests compare with PostgreSQL).

A transcript is raia-phone's output for one community-report session, named
phone-<msisdn>.txt. An answer counts as acknowledged when the screen that
followed it is the flow's next screen: the gateway sends it only after
Redis confirmed the answer (DESIGN rule 2). A busy screen, an expired
session or no screen at all acknowledges nothing.
"""
import hashlib
import hmac
import os
import re
import sys

CATEGORIES = {"1": ("water", "Water point"), "2": ("clinic", "Clinic"),
              "3": ("school", "School"), "4": ("other", "Other")}
# The screen that follows each input of a session that goes well.
NEXT_SCREEN = ["Which service has a problem?", "How serious is it?", "Describe the problem",
               "Where is the problem?", "Thank you. Your report was recorded."]
QUESTIONS = [None, "category", "severity", "details", "area"]
PREFER_NOT = "4"  # the area question's "prefer not to say": the only area input the tests send


def turns(lines):
    """Yields (input, first line of the screen after it or None)."""
    pending = None
    for line in lines:
        if line.startswith("> "):
            if pending is not None:
                yield pending, None
            pending = line[2:]
        elif line.startswith("< ") and pending is not None:
            yield pending, line[2:]
            pending = None
    if pending is not None:
        yield pending, None


def main():
    key = open(sys.argv[1], "rb").read()
    project = sys.argv[2].encode()
    for path in sys.argv[3:]:
        msisdn = re.match(r"phone-(\+\d+)\.txt$", os.path.basename(path)).group(1)
        pseud = hmac.new(key, project + msisdn.encode(), hashlib.sha256).hexdigest()
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        for i, (given, screen) in enumerate(turns(lines)):
            if i >= len(NEXT_SCREEN) or not screen or not screen.startswith(NEXT_SCREEN[i]):
                break
            if QUESTIONS[i] == "category":
                code, value = CATEGORIES[given]
                print(f"{pseud}|category|{code}|{value}")
            elif QUESTIONS[i] == "area":
                if given != PREFER_NOT:
                    sys.exit(f"{path}: area input {given!r}: only {PREFER_NOT} is understood")
                print(f"{pseud}|area|refused|")
            elif QUESTIONS[i]:
                print(f"{pseud}|{QUESTIONS[i]}||{given}")


if __name__ == "__main__":
    main()
