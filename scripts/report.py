"""Insert the workflow's results tables into README.md.

    python scripts/report.py README.md metrics/ner/results.md metrics/pos/results.md

Replaces the text between ``<!-- results:start -->`` and ``<!-- results:end -->``,
so the README's numbers are always the ones the workflow produced.
"""

import argparse
from pathlib import Path

START, END = "<!-- results:start -->", "<!-- results:end -->"


def insert(readme: str, tables: str) -> str:
    if START not in readme or END not in readme:
        raise ValueError(f"README has no {START} ... {END} block")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{tables.strip()}\n{END}{tail}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readme", type=Path)
    parser.add_argument("tables", type=Path, nargs="+")
    args = parser.parse_args(argv)
    parts = []
    for path in args.tables:
        folder = path.parts[-2]
        title = (
            "NER (Universal NER dev, PER/ORG/LOC)"
            if folder.endswith("_uner")
            else "NER (CoNLL: spaced tokens, natural text, one document per sentence)"
            if "ner" in folder
            else "POS (Universal Dependencies)"
        )
        parts.append(f"#### {title}\n\n{path.read_text(encoding='utf8').strip()}\n")
    args.readme.write_text(insert(args.readme.read_text(encoding="utf8"), "\n".join(parts)), encoding="utf8")
    print(f"updated {args.readme}")


if __name__ == "__main__":
    main()
