"""SIGINT and SIGTERM stop ``python -m spacy_bts.annotate`` at once: exit 130 / 143, no traceback,
no process and no temporary file left, the previous output intact; and the same when killed at random points."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from annotate_helpers import (
    PIPELINE,
    SENTENCES,
    count_lines,
    launch,
    read_lines,
    temporaries,
    wait_for_no_processes,
    wait_for_text,
)

OLD_OUTPUT = b'{"id":"old","source":"old","entities":[]}\n'
# Seconds from the signal to the command's exit that count as a hang.
HANG = 10.0


def make_corpus(directory, n_docs):
    """JSONL and text inputs with good, blank and malformed lines; returns the number of input lines."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(n_docs)
    lines = []
    for i in range(n_docs):
        if i % 50 == 7:
            lines.append("   " if i % 100 == 7 else "")
        elif i % 50 == 19:
            lines.append('{"text": "unterminated')
        else:
            lines.append(json.dumps({"id": f"d{i}", "text": " ".join(rng.sample(SENTENCES, 3))}, ensure_ascii=False))
    (directory / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = [" ".join(rng.sample(SENTENCES, 2)) if i % 40 else "" for i in range(n_docs // 4)]
    (directory / "b.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    return sum(count_lines(p) for p in directory.iterdir())


def send(proc, signum, to_group):
    try:
        if to_group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass


def check_run(proc, out, stderr_path, n_lines, signum, sent_at, label):
    """The properties every stopped or finished run must have; returns whether the output is complete."""
    try:
        code = proc.wait(timeout=HANG)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        wait_for_no_processes(proc.pid, timeout=0)
        pytest.fail(f"{label}: still running {HANG} s after the signal")
    waited = time.monotonic() - sent_at if sent_at else 0.0
    err = stderr_path.read_text(encoding="utf-8", errors="replace")
    left = wait_for_no_processes(proc.pid)
    assert not left, f"{label}: processes left: {left}\n{err}"
    assert not temporaries(out.parent), f"{label}: temporary files left\n{err}"
    complete = out.read_bytes() != OLD_OUTPUT
    if complete:
        # Finished (maybe with the signal after the output was moved into place).
        assert code in (0, 128 + signum, -signum), f"{label}: exit {code}\n{err}"
        skips = err.count("\nskipped ")
        assert len(read_lines(out)) + skips == n_lines, f"{label}: records + skips != input lines\n{err}"
    else:
        # A signal during Python's own start (before the command runs) kills it: the shell sees 128 + n too.
        assert code in (128 + signum, -signum), f"{label}: exit {code}\n{err}"
    if "annotating " in err:
        assert "Traceback" not in err, f"{label}: a traceback\n{err}"
    return complete, waited


def kill_at_random(tmp_path, engine, iterations, max_delay, seed, n_docs, finish_last=False):
    """Start the command ``iterations`` times and stop it after a random delay with a random signal."""
    rng = random.Random(seed)
    data = tmp_path / "data"
    n_lines = make_corpus(data, n_docs)
    out = tmp_path / "out" / "annotated.jsonl"
    out.parent.mkdir()
    extra = ["--num-cpus", "2"] if engine == "ray" else []
    outcomes = []
    for i in range(iterations):
        out.write_bytes(OLD_OUTPUT)
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        # To the command, or to its whole process group (Ctrl-C in a terminal; `kill -TERM -PGID`).
        # Not SIGTERM to a Ray job's group: it stops Ray's own processes too (see the README).
        to_group = rng.random() < 0.5 and not (engine == "ray" and signum == signal.SIGTERM)
        delay = 10_000.0 if finish_last and i == iterations - 1 else rng.uniform(0.0, max_delay)
        target = "group" if to_group else "process"
        label = f"seed {seed} run {i}: {engine}, {signal.Signals(signum).name} to the {target} after {delay:.2f} s"
        stderr_path = tmp_path / f"stderr-{i}.txt"
        args = [PIPELINE, data, "-o", out, "--engine", engine, "--workers", 2, "--progress-every", 1, *extra]
        proc = launch(args, stderr_path)
        deadline = time.monotonic() + delay
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        sent_at = None
        if proc.poll() is None:
            send(proc, signum, to_group)
            sent_at = time.monotonic()
        complete, waited = check_run(proc, out, stderr_path, n_lines, signum, sent_at, label)
        outcomes.append((label, "complete" if complete else "stopped", round(waited, 1)))
    return outcomes


# SIGINT to the main process hung; Ctrl-C (SIGINT to the whole group) hung at exit; SIGTERM left the workers.
CASES = {"SIGINT": (signal.SIGINT, False), "ctrl-c": (signal.SIGINT, True), "SIGTERM": (signal.SIGTERM, False)}


def test_signal_stops_two_local_workers_at_once(tmp_path):
    data = tmp_path / "data"
    n_lines = make_corpus(data, 20_000)
    runs = {}
    try:
        # The three cases run side by side: most of each is Python starting.
        for name in CASES:
            out = tmp_path / name / "annotated.jsonl"
            out.parent.mkdir()
            out.write_bytes(OLD_OUTPUT)
            stderr_path = tmp_path / f"{name}.txt"
            args = [PIPELINE, data, "-o", out, "--workers", 2, "--progress-every", 0.5]
            runs[name] = (launch(args, stderr_path), out, stderr_path)
        for name, (proc, _, stderr_path) in runs.items():
            assert wait_for_text(stderr_path, "annotating: ", proc), stderr_path.read_text()
        for name, (proc, out, stderr_path) in runs.items():
            signum, to_group = CASES[name]
            send(proc, signum, to_group)
            complete, waited = check_run(proc, out, stderr_path, n_lines, signum, time.monotonic(), name)
            assert not complete and out.read_bytes() == OLD_OUTPUT, name
            assert proc.returncode == 128 + signum and waited < 5, (name, proc.returncode, waited)
            assert f"interrupted ({signal.Signals(signum).name})" in stderr_path.read_text(), name
    finally:
        for proc, _, _ in runs.values():
            if proc.poll() is None:
                send(proc, signal.SIGKILL, to_group=True)
                proc.wait()
            wait_for_no_processes(proc.pid, timeout=0)


def test_killed_at_random_points_local(tmp_path):
    seed = int(time.time())
    outcomes = kill_at_random(tmp_path, "local", 3, 3.0, seed, 1500, finish_last=True)
    assert [o[1] for o in outcomes][-1] == "complete", outcomes


def test_killed_at_random_points_ray(tmp_path):
    pytest.importorskip("ray")
    seed = int(time.time())
    kill_at_random(tmp_path, "ray", 3, 5.0, seed, 3000)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["local", "ray"])
def test_killed_at_random_points_20_times(engine, tmp_path):
    if engine == "ray":
        pytest.importorskip("ray")
    seed = int(os.environ.get("ANNOTATE_FAULT_SEED", time.time()))
    max_delay = {"local": 9.0, "ray": 22.0}[engine]
    outcomes = kill_at_random(tmp_path, engine, 20, max_delay, seed, 12_000)
    print(*outcomes, sep="\n")


HUNG_CLEANUP = """
import os, sys, time
from spacy_bts.annotate.signals import deferred, stop_on_signals
from spacy_bts.annotate.writers import RecordWriter

writer = RecordWriter(sys.argv[1])
with stop_on_signals(grace=0.5):
    try:
        print("ready", flush=True)
        time.sleep(60)
    finally:
        with deferred():  # a cleanup stuck where no signal gets through
            os.read(os.pipe()[0], 1)
"""


def test_a_cleanup_that_hangs_is_abandoned_after_the_grace_period(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", HUNG_CLEANUP, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "ready\n"
    assert temporaries(tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 143 and "exiting without waiting for the cleanup" in err, err
    assert not temporaries(tmp_path) and not out.exists()
