"""Shared by the annotate tests: the saved demo pipeline, input files, and running the command."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A tiny trained bts_ner, saved by this version (no training needed).
PIPELINE = str(ROOT / "tests" / "data" / "saved_pipelines" / "ner_tagger")
SENTENCES = [
    "Marta Nowak visited Lisbon in May.",
    "Иван Петров живёт в Казани.",
    "李明在北京大学工作。",
    "La Banque de France publie un rapport.",
]
# What the command prints on stderr by itself: anything else is noise (Ray's logs, tracebacks).
OWN_LINES = ("annotating", "skipped ", "done: ", "note: ", "error: ", "interrupted")


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_lines(path):
    # Not splitlines(): records may hold U+2028 and other characters it splits at.
    text = Path(path).read_text(encoding="utf-8")
    return text.split("\n")[:-1] if text else []


def records(path):
    return [json.loads(line) for line in read_lines(path)]


def quiet(**kwargs):
    return {"progress_every": -1, **kwargs}


def command(*args):
    return [sys.executable, "-m", "spacy_bts.annotate", *map(str, args)]


def _default_sigint():
    # A child of a shell's background job inherits SIGINT ignored; the command honours that, so reset it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def launch(args, stderr_path, cwd=None, stdin=None):
    """Start the command in a session of its own (to find all its processes), stderr to a file."""
    with open(stderr_path, "wb") as err:
        return subprocess.Popen(
            command(*args),
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=stdin,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )


def wait_for_text(path, text, proc, timeout=60.0):
    """Wait until ``text`` is in the file ``path`` (or the process ends); whether it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in Path(path).read_text(encoding="utf-8", errors="replace"):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def session_processes(sid):
    """Pids of the live processes of session ``sid`` (zombies are gone for good; not counted)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(int(entry))
    return found


def wait_for_no_processes(sid, timeout=5.0):
    """The processes of session ``sid`` still alive after ``timeout`` seconds (killed, for the next test)."""
    deadline = time.monotonic() + timeout
    left = session_processes(sid)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = session_processes(sid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


def temporaries(directory):
    return sorted(p.name for p in Path(directory).iterdir() if ".annotate-tmp-" in p.name)


def count_lines(path):
    data = Path(path).read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
