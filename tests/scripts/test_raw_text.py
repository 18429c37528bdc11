import hashlib

import pytest
import srsly
from conftest import load_script

raw_text = load_script("raw_text")


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def test_build_keeps_each_sentence_once_and_no_evaluation_sentence(tmp_path):
    write(tmp_path / "raw" / "a" / "news.pt", "O rio Douro passa no Porto.\nBom dia!\n\nBom dia!\n")
    write(tmp_path / "raw" / "b" / "news.zh", "他在台北工作。\nEl tren sale a las ocho.\n")
    write(
        tmp_path / "ud" / "zh-ud-test.conllu",
        "# sent_id = 1\n1\t他\t_\tPRON\n2\t在\t_\tADP\n3\t台北\t_\tPROPN\n4\t工作\t_\tVERB\n5\t。\t_\tPUNCT\n\n",
    )
    write(tmp_path / "ud" / "es-ud-train.conllu", "# text = El tren sale a las ocho.\n1\tEl\n\n")  # training: kept
    write(tmp_path / "ner" / "eng.testa", "-DOCSTART- -X- O O\n\nBom NNP O\ndia NN O\n! . O\n\n")
    out = tmp_path / "raw.jsonl"
    raw_text.main(["build", str(tmp_path / "raw"), str(out), "--exclude", str(tmp_path / "ud"), str(tmp_path / "ner")])
    texts = [line["text"] for line in srsly.read_jsonl(out)]
    assert sorted(texts) == ["El tren sale a las ocho.", "O rio Douro passa no Porto."]


def test_build_max_sentences_takes_a_fixed_random_sample(tmp_path):
    write(tmp_path / "raw" / "x.txt", "".join(f"Frase número {i}.\n" for i in range(50)))
    runs = []
    for name in ("one", "two"):
        out = tmp_path / f"{name}.jsonl"
        raw_text.main(["build", str(tmp_path / "raw"), str(out), "--max-sentences", "10"])
        runs.append([line["text"] for line in srsly.read_jsonl(out)])
    assert runs[0] == runs[1] and len(runs[0]) == 10
    assert runs[0] != [f"Frase número {i}." for i in range(10)]


def test_build_without_fetched_files_says_what_to_run(tmp_path):
    with pytest.raises(SystemExit, match="run the fetch step first"):
        raw_text.main(["build", str(tmp_path / "missing"), str(tmp_path / "out.jsonl")])


def test_fetch_copies_checks_and_skips(tmp_path, capsys):
    mirror = tmp_path / "mirror"
    write(mirror / "org" / "repo" / "abc" / "flores.fin", "Hyvää huomenta.\n")
    write(mirror / "org" / "repo" / "abc" / "ntrex.swe", "God morgon.\n")
    listing = write(
        tmp_path / "list.tsv",
        "# path\tmd5\tbytes\tlicence\n"
        f"org/repo/abc/flores.fin\t{md5('Hyvää huomenta.' + chr(10))}\t18\tCC BY-SA 4.0\n"
        f"org/repo/abc/ntrex.swe\t{md5('God morgon.' + chr(10))}\t12\tCC BY-SA 4.0\n",
    )
    dest = tmp_path / "assets"
    raw_text.main(["fetch", str(listing), str(dest), "--mirror", str(mirror)])
    assert (dest / "org" / "repo" / "abc" / "flores.fin").read_text(encoding="utf-8") == "Hyvää huomenta.\n"
    assert "2 fetched" in capsys.readouterr().out
    raw_text.main(["fetch", str(listing), str(dest), "--mirror", str(mirror)])
    assert "0 fetched, 2 already there" in capsys.readouterr().out


def test_fetch_removes_a_file_whose_md5_is_wrong(tmp_path):
    mirror = tmp_path / "mirror"
    write(mirror / "r" / "a.txt", "changed\n")
    listing = write(tmp_path / "list.tsv", f"r/a.txt\t{md5('original' + chr(10))}\t9\tCC0\n")
    with pytest.raises(SystemExit, match="r/a.txt: md5"):
        raw_text.main(["fetch", str(listing), str(tmp_path / "assets"), "--mirror", str(mirror)])
    assert not (tmp_path / "assets" / "r" / "a.txt").exists()


def test_fetch_names_a_missing_source(tmp_path):
    listing = write(tmp_path / "list.tsv", "r/none.txt\t0\t1\tCC0\n")
    with pytest.raises(SystemExit, match="none.txt"):
        raw_text.main(["fetch", str(listing), str(tmp_path / "assets"), "--mirror", str(tmp_path)])
