"""Hand-written multilingual sentences with gold entities and UPOS words."""

from typing import List, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup
from spacy.training import Example

# (text, [(entity text, label), ...]) — entities are located by first occurrence.
NER_SENTENCES: List[Tuple[str, List[Tuple[str, str]]]] = [
    ("Émile Zola est né à Paris en 1840.", [("Émile Zola", "PER"), ("Paris", "LOC")]),
    ("Владимир Набоков родился в Санкт-Петербурге.", [("Владимир Набоков", "PER"), ("Санкт-Петербурге", "LOC")]),
    ("Ο Νίκος Καζαντζάκης γεννήθηκε στο Ηράκλειο.", [("Νίκος Καζαντζάκης", "PER"), ("Ηράκλειο", "LOC")]),
    ("山田太郎は東京大学で働いています。", [("山田太郎", "PER"), ("東京大学", "ORG")]),
    ("Björk sang in Reykjavík 🎤 last night.", [("Björk", "PER"), ("Reykjavík", "LOC")]),
    ("The 🍕 shop Pizzería Ñandú opened in São Paulo.", [("Pizzería Ñandú", "ORG"), ("São Paulo", "LOC")]),
    (
        "Angela Merkel traf Emmanuel Macron in Straßburg.",
        [("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Straßburg", "LOC")],
    ),
    ("トヨタ自動車の本社は愛知県にあります。", [("トヨタ自動車", "ORG"), ("愛知県", "LOC")]),
    ("Müller arbeitet bei Siemens in München.", [("Müller", "PER"), ("Siemens", "ORG"), ("München", "LOC")]),
    ("👩‍👩‍👧 Anna Kowalska mieszka w Łodzi.", [("Anna Kowalska", "PER"), ("Łodzi", "LOC")]),
]

# (text, [(word, UPOS), ...]) — words in order; unspaced Japanese included.
POS_SENTENCES: List[Tuple[str, List[Tuple[str, str]]]] = [
    ("Émile lit un livre.", [("Émile", "PROPN"), ("lit", "VERB"), ("un", "DET"), ("livre", "NOUN"), (".", "PUNCT")]),
    ("Кошка спит дома.", [("Кошка", "NOUN"), ("спит", "VERB"), ("дома", "ADV"), (".", "PUNCT")]),
    ("Η γάτα τρώει ψάρι.", [("Η", "DET"), ("γάτα", "NOUN"), ("τρώει", "VERB"), ("ψάρι", "NOUN"), (".", "PUNCT")]),
    (
        "猫が魚を食べた。",
        [("猫", "NOUN"), ("が", "ADP"), ("魚", "NOUN"), ("を", "ADP"), ("食べた", "VERB"), ("。", "PUNCT")],
    ),
    (
        "She likes 🍕 a lot!",
        [("She", "PRON"), ("likes", "VERB"), ("🍕", "SYM"), ("a", "DET"), ("lot", "NOUN"), ("!", "PUNCT")],
    ),
]


def entity_offsets(text: str, entities: Sequence[Tuple[str, str]]) -> List[Tuple[int, int, str]]:
    offsets, cursor = [], 0
    for surface, label in entities:
        start = text.index(surface, cursor)
        offsets.append((start, start + len(surface), label))
        cursor = start + len(surface)
    return offsets


def doc_cut_at(nlp: Language, text: str, cuts: Sequence[int]) -> Doc:
    """A Doc with tokens cut at every space and at the given offsets."""
    spaces_at = [i for i, c in enumerate(text) if c == " "]
    bounds = sorted({0, len(text), *cuts, *spaces_at, *(i + 1 for i in spaces_at)})
    words, spaces = [], []
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        if piece == " " and words and not spaces[-1] and words[-1] != " ":
            spaces[-1] = True
        else:
            words.append(piece)
            spaces.append(False)
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    assert doc.text == text
    return doc


def ner_examples(nlp: Language) -> List[Example]:
    examples = []
    for text, entities in NER_SENTENCES:
        offsets = entity_offsets(text, entities)
        reference = doc_cut_at(nlp, text, [o for s, e, _ in offsets for o in (s, e)])
        reference.ents = [reference.char_span(s, e, label=l) for s, e, l in offsets]
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


def pos_examples(nlp: Language) -> List[Example]:
    examples = []
    for text, words in POS_SENTENCES:
        offsets = entity_offsets(text, words)
        reference = doc_cut_at(nlp, text, [o for s, e, _ in offsets for o in (s, e)])
        for s, e, tag in offsets:
            span = reference.char_span(s, e)
            assert span is not None and len(span) == 1, (text, s, e)
            span[0].pos_ = tag
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


# Words of the raw-text UPOS scoring tests (pipeline/test_scorers.py, scripts/test_evaluate.py).
JA = "猫が魚を食べた。"
JA_GOLD = [("猫", "NOUN"), ("が", "ADP"), ("魚", "NOUN"), ("を", "ADP"), ("食べた", "VERB"), ("。", "PUNCT")]
EN = "She likes pizza."
EN_GOLD = [("She", "PRON"), ("likes", "VERB"), ("pizza", "NOUN"), (".", "PUNCT")]


def store_words(doc, words):
    """``words`` stored as a BTS component stores them: spans cut to tokens, exact offsets in attrs."""
    offsets = entity_offsets(doc.text, words)
    spans = [doc.char_span(s, e, label=tag, alignment_mode="expand") for s, e, tag in offsets]
    doc.spans["bts_pos"] = SpanGroup(doc, spans=spans, attrs={"char_spans": [[s, e] for s, e, _ in offsets]})
    return doc


def doc_of(vocab, words, spaces=None):
    return Doc(vocab, words=[w for w, _ in words], spaces=spaces or [False] * len(words), pos=[t for _, t in words])
