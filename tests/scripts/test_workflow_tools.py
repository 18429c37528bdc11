import pytest
from conftest import load_script
from spacy.tokens import DocBin
from spacy.vocab import Vocab

# The workflow's scripts (scripts/*.py), outside the package.
corpora = load_script("corpora")
corpora_main, ner_docs, pos_docs, read_text = corpora.main, corpora.ner_docs, corpora.pos_docs, corpora.read_text
conll_forms, sentence_docs, uner_docs = corpora.conll_forms, corpora.sentence_docs, corpora.uner_docs
results_table = load_script("evaluate").results_table
insert = load_script("report").insert

DUTCH_STYLE = """-DOCSTART- -DOCSTART- O
Jan N B-PER
woont V O
in Prep O
Gent N B-LOC
. Punc O

-DOCSTART- -DOCSTART- O
Els N B-PER
Peeters N I-PER
zingt V O
. Punc O
"""

IOB1_STYLE = """-DOCSTART- -X- O O

Anna NNP I-NP I-PER
Berg NNP I-NP I-PER
visits VBZ I-VP O
Oslo NNP I-NP I-LOC
. . O O
"""

CONLLU = """# text = Vi ao mercado.
1\tVi\tver\tVERB\t_\t_\t0\troot\t_\t_
2-3\tao\t_\t_\t_\t_\t_\t_\t_\t_
2\ta\ta\tADP\t_\t_\t4\tcase\t_\t_
3\to\to\tDET\t_\t_\t4\tdet\t_\t_
4\tmercado\tmercado\tNOUN\t_\t_\t1\tobl\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_

"""

# Like the first UD Chinese-GSD release: no "# text", no SpaceAfter=No, yet written without spaces.
ZH_CONLLU = """1\t懷孕期\t_\tNOUN\tNN\t_\t2\tnsubj\t_\t_
2\t為\t_\tVERB\tVC\t_\t0\troot\t_\t_
3\t421\t_\tNUM\tCD\t_\t2\tobj\t_\t_
4\t.\t_\tPUNCT\t.\t_\t2\tpunct\t_\t_

1\t他\t_\tPRON\tPRP\t_\t2\tnsubj\t_\t_
2\t看\t_\tVERB\tVV\t_\t0\troot\t_\t_
3\t.\t_\tPUNCT\t.\t_\t2\tpunct\t_\t_

"""


def test_any_docstart_line_delimits_documents():
    docs = ner_docs(DUTCH_STYLE)
    assert [d.text for d in docs] == ["Jan woont in Gent . ", "Els Peeters zingt . "]
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("Jan", "PER"), ("Gent", "LOC")],
        [("Els Peeters", "PER")],
    ]


def test_iob1_tags_become_entities():
    (doc,) = ner_docs(IOB1_STYLE)
    assert [(e.text, e.label_) for e in doc.ents] == [("Anna Berg", "PER"), ("Oslo", "LOC")]


def test_files_without_docstart_are_grouped_by_sentences():
    text = "\n\n".join(f"Frase{i} O\n. O" for i in range(25)) + "\n"
    docs = ner_docs(text, sents_per_doc=10)
    assert len(docs) == 3 and docs[0].text.startswith("Frase0 . Frase1 .")


def test_multiword_tokens_keep_surface_text():
    (doc,) = pos_docs(CONLLU)
    assert doc.text.rstrip() == "Vi ao mercado."  # spaCy separates sentences by a space
    assert [t.text for t in doc] == ["Vi", "ao", "mercado", "."]
    assert doc[0].pos_ == "VERB" and doc[2].pos_ == "NOUN"


def test_unspaced_script_has_no_spaces_within_or_between_sentences(tmp_path):
    assert pos_docs(ZH_CONLLU)[0].text == "懷孕期 為 421 . 他 看 . "  # what spaCy's converter alone gives
    (doc,) = pos_docs(ZH_CONLLU, no_spaces=True)
    assert doc.text == "懷孕期為421.他看."
    assert [t.whitespace_ for t in doc] == [""] * 7
    assert [t.pos_ for t in doc] == ["NOUN", "VERB", "NUM", "PUNCT", "PRON", "VERB", "PUNCT"]
    assert [s.text for s in doc.sents] == ["懷孕期為421.", "他看."]
    assert [d.text for d in pos_docs(ZH_CONLLU, sents_per_doc=1, no_spaces=True)] == ["懷孕期為421.", "他看."]
    src = tmp_path / "zh-ud-dev.conllu"
    src.write_text(ZH_CONLLU, encoding="utf8")
    corpora_main(["pos", str(src), str(tmp_path / "zh.spacy"), "--no-spaces"])
    (saved,) = DocBin().from_disk(tmp_path / "zh.spacy").get_docs(Vocab())
    assert saved.text == "懷孕期為421.他看."


def test_latin1_fallback(tmp_path, capsys):
    path = tmp_path / "esp.train"
    path.write_bytes("Añoranza O\n".encode("latin-1"))
    assert read_text(path) == "Añoranza O\n"
    assert "Latin-1" in capsys.readouterr().err


def test_cli_optional_and_merge(tmp_path, capsys):
    src = tmp_path / "ned.train"
    src.write_text(DUTCH_STYLE, encoding="utf8")
    corpora_main(["ner", str(src), str(tmp_path / "nl.spacy")])
    corpora_main(["ner", str(tmp_path / "deu.train"), str(tmp_path / "de.spacy"), "--optional"])
    assert not (tmp_path / "de.spacy").exists()
    corpora_main(
        ["merge", str(tmp_path / "xx.spacy"), str(tmp_path / "nl.spacy"), str(tmp_path / "de.spacy"), "--skip-missing",
         "--parts", str(tmp_path / "parts")]
    )  # fmt: skip
    assert "xx.spacy: 2 documents" in capsys.readouterr().out
    # Each present SRC is copied as one corpus of the parts directory.
    assert [p.name for p in (tmp_path / "parts").iterdir()] == [f"{tmp_path.name}-nl.spacy"]
    assert (tmp_path / "parts" / f"{tmp_path.name}-nl.spacy").read_bytes() == (tmp_path / "nl.spacy").read_bytes()
    with pytest.raises(FileNotFoundError):
        corpora_main(["merge", str(tmp_path / "yy.spacy"), str(tmp_path / "de.spacy")])


def test_results_table_and_report():
    scores = {
        "en-dev": {"ents_p": 0.5, "ents_r": 0.25, "ents_f": 1 / 3},
        "en-test": {"ents_p": 0.4, "ents_r": 0.2, "ents_f": 0.2667},
    }
    table = results_table("ner", scores, "model")
    assert "| en | 50.00 | 25.00 | 33.33 | 40.00 | 20.00 | 26.67 | 86.50 |" in table
    readme = "intro\n<!-- results:start -->\nold\n<!-- results:end -->\nrest\n"
    assert insert(readme, table) == f"intro\n<!-- results:start -->\n{table.strip()}\n<!-- results:end -->\nrest\n"
    pos_scores = {
        "fi_tdt-test": {"pos_span_f": 0.4, "word_seg_f": 0.9, "pos_acc": 0.5},
        "en_ewt-test": {"pos_span_f": 0.6, "pos_acc": 0.7},
    }
    pos = results_table("pos", pos_scores, "m", {"en_ewt"})
    assert "| treebank | training data | dev UPOS F1 | dev word-seg F1 | dev POS acc | test UPOS F1 |" in pos
    assert "| fi_tdt | none (zero-shot) | – | – | – | 40.00 | 90.00 | 50.00 |" in pos
    assert "| en_ewt | yes | – | – | – | 60.00 | – | 70.00 |" in pos
    assert "Average test UPOS F1: 50.00 over 2 treebanks; POS accuracy: 60.00 over 2" in pos
    with pytest.raises(ValueError, match="results:start"):
        insert("no markers", table)


def test_scripts_run_as_files_outside_the_package(tmp_path):
    """project.yml runs ``python scripts/NAME.py``, from the project directory; the package ships none of them."""
    import importlib.util
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[2]
    for name in ("corpora", "evaluation", "report", "quickstart"):
        assert importlib.util.find_spec(f"spacy_bts.{name}") is None
    src = tmp_path / "ned.train"
    src.write_text(DUTCH_STYLE, encoding="utf8")
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- results:start -->\n<!-- results:end -->\n", encoding="utf8")
    (tmp_path / "ner").mkdir()
    (tmp_path / "ner" / "results.md").write_text("| en | 1 |\n", encoding="utf8")
    commands = [
        ["scripts/corpora.py", "ner", str(src), str(tmp_path / "nl.spacy")],
        ["scripts/report.py", str(readme), str(tmp_path / "ner" / "results.md")],
        ["scripts/evaluate.py", "--help"],
    ]
    for command in commands:
        result = subprocess.run([sys.executable, *command], cwd=root, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    assert len(DocBin().from_disk(tmp_path / "nl.spacy")) == 2
    assert "#### NER (CoNLL: spaced tokens, natural text, one document per sentence)\n\n| en | 1 |" in readme.read_text(
        encoding="utf8"
    )
