"""CoNLL tokens as written text (Moses-detokenized) and Universal NER sentences as their raw text:
the workflow's corpus conversion (``scripts/corpora.py``), with exact entity offsets."""

import pytest
from conftest import load_script
from spacy.tokens import DocBin
from spacy.vocab import Vocab

corpora = load_script("corpora")

# Two CoNLL-2003-style sentences in one document (IOB1), tokens spaced as the corpus has them.
CONLL = """-DOCSTART- -X- O O

Mila NNP I-NP I-PER
Oduya NNP I-NP I-PER
's POS B-NP O
firm NN I-NP O
, , O O
" " O O
Brightwater NNP I-NP I-ORG
Labs NNP I-NP I-ORG
" " O O
, , O O
opened VBD I-VP O
( ( O O
in IN I-PP O
Tromso NNP I-NP I-LOC
) ) O O
. . O O

It PRP I-NP O
does VBZ I-VP O
n't RB I-VP O
sell VB I-VP O
Euro NNP I-NP I-MISC
bonds NNS I-NP O
. . O O
"""

NATURAL = "Mila Oduya's firm, \"Brightwater Labs\", opened (in Tromso). It doesn't sell Euro bonds."
GOLD = [("Mila Oduya", "PER"), ("Brightwater Labs", "ORG"), ("Tromso", "LOC"), ("Euro", "MISC")]


def entities(doc):
    return [(e.text, e.label_) for e in doc.ents]


def test_natural_form_is_text_as_written_with_the_same_entities():
    (spaced,) = corpora.ner_docs(CONLL)
    assert spaced.text.startswith("Mila Oduya 's firm , \" Brightwater")
    (natural,) = corpora.conll_forms([spaced], "natural", "en")
    assert natural.text == NATURAL
    assert entities(natural) == entities(spaced) == GOLD
    for ent in natural.ents:  # offsets are where the text is
        assert natural.text[ent.start_char : ent.end_char] == ent.text
    assert [t.text for t in natural] == [t.text for t in spaced]
    assert [s.text for s in natural.sents][1] == "It doesn't sell Euro bonds."


def test_mixed_form_is_each_document_one_form_reproducibly():
    docs = corpora.ner_docs("\n".join([CONLL] * 12))
    assert len(docs) == 12
    mixed = corpora.conll_forms(docs, "mixed", "en")
    natural = [d.text == NATURAL for d in mixed]
    assert 0 < sum(natural) < len(mixed)
    assert all(d.text == docs[0].text for d, is_natural in zip(mixed, natural) if not is_natural)
    assert natural == [d.text == NATURAL for d in corpora.conll_forms(docs, "mixed", "en")]
    assert all(entities(d) == GOLD for d in mixed)


def test_one_document_per_sentence_without_trailing_space():
    (doc,) = corpora.conll_forms(corpora.ner_docs(CONLL), "natural", "en")
    first, second = corpora.sentence_docs(doc)
    assert second.text == "It doesn't sell Euro bonds."
    assert first.text.endswith("(in Tromso).")
    assert entities(first) == GOLD[:3] and entities(second) == GOLD[3:]


def test_changed_token_is_an_error_naming_it():
    class Rewriter:
        def detokenize(self, words, unescape=False):
            return " ".join(words).replace("Labs", "Lab")

    with pytest.raises(ValueError, match="'Labs'"):
        corpora.natural_spaces(["Brightwater", "Labs"], Rewriter())


UNER = """# sent_id = s1
# text = Ana Lukić radi u Zagrebu, za Hrvatski Telekom.
1\tAna\tB-PER\t_
2\tLukić\tI-PER\t_
3\tradi\tO\t_
4\tu\tO\t_
5\tZagrebu\tB-LOC\t_
6\t,\tO\t_
7\tza\tO\t_
8\tHrvatski\tB-ORG\t_
9\tTelekom\tI-ORG\t_
10\t.\tO\t_

# sent_id = s2
# text = Gledala je Ratove zvijezda.
1\tGledala\tO\t_
2\tje\tO\t_
3\tRatove\tB-OTH\t_
4\tzvijezda\tI-OTH\t_
5\t.\tO\t_
"""

UNER_ZH = """# sent_id = z1
# text = 李明在台北工作。
1\t李明\tB-PER\t_
2\t在\tO\t_
3\t台北\tB-LOC\t_
4\t工作\tO\t_
5\t。\tO\t_

# sent_id = z2
# text = 他去了東京。
1\t他\tO\t_
2\t去\tO\t_
3\t了\tO\t_
4\t東京\tB-LOC\t_
5\t。\tO\t_
"""


def test_uner_sentences_keep_their_raw_text_and_oth_becomes_misc():
    (doc,) = corpora.uner_docs(UNER)
    assert doc.text == "Ana Lukić radi u Zagrebu, za Hrvatski Telekom. Gledala je Ratove zvijezda."
    assert entities(doc) == [("Ana Lukić", "PER"), ("Zagrebu", "LOC"), ("Hrvatski Telekom", "ORG"),
                             ("Ratove zvijezda", "MISC")]  # fmt: skip
    assert [(s.text, s.label_) for s in doc.spans["bts_ner"]] == entities(doc)
    assert doc.spans["bts_ner"].attrs["unannotated_labels"] == []


def test_uner_unspaced_script_and_unannotated_labels_survive_saving(tmp_path):
    src = tmp_path / "zh_gsd-ud-dev.iob2"
    src.write_text(UNER_ZH, encoding="utf8")
    dest = tmp_path / "zh.spacy"
    corpora.main(["uner", str(src), str(dest), "--no-spaces", "--unannotated-labels", "MISC"])
    (doc,) = DocBin().from_disk(dest).get_docs(Vocab())
    assert doc.text == "李明在台北工作。他去了東京。"
    assert entities(doc) == [("李明", "PER"), ("台北", "LOC"), ("東京", "LOC")]
    assert doc.spans["bts_ner"].attrs["unannotated_labels"] == ["MISC"]
    assert [d.text for d in corpora.uner_docs(UNER_ZH, sents_per_doc=1, no_spaces=True)] == [
        "李明在台北工作。",
        "他去了東京。",
    ]


def test_uner_token_missing_from_the_text_is_an_error_naming_the_sentence(tmp_path):
    src = tmp_path / "bad.iob2"
    src.write_text(UNER.replace("# text = Gledala", "# text = Vidjela"), encoding="utf8")
    with pytest.raises(SystemExit, match="sentence s2: token 'Gledala' not found"):
        corpora.main(["uner", str(src), str(tmp_path / "bad.spacy")])
