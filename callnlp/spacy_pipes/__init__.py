"""callnlp inside spaCy: the bilingual tokenizer and the whole analysis as pipeline parts.

`CallnlpTokenizer` (registered as `callnlp_tokenizer`) cuts a text with callnlp's tokenizer
into a `Doc` whose `doc.text` is the text exactly as given: tokens are slices of it (the
original characters, so `領(lǐng)域` stays one token with its annotation), whitespace goes
into `spaces` or whitespace tokens, and `token.norm_` holds callnlp's normalized form (lower
case) where normalization changed the characters (Traditional, full-width, pinyin).

The `callnlp` component runs `Analyzer` on `doc.text` and fills the Doc:

- `doc.spans["figures"]` (label: metric; `span._.figure`), `doc.spans["cues"]` (label: cue
  kind; `span._.cue`: the sentences' cues, then the answers' evasion cues) and
  `doc.spans["turns"]` (label: role; `span._.speaker`, `span._.role`, `span._.section`);
- sentence starts from callnlp's splitter (`doc.sents`: each callnlp sentence, and apart from
  them the text that is in none, such as speaker headers), with `span._.sentiment` and
  `span._.hedging` on a span that holds one whole callnlp sentence from its first token;
- `doc._.call`, the `CallAnalysis`.

Offsets become spans with `alignment_mode="expand"`: an offset inside a token (another
tokenizer, such as spaCy's English one on `营收9.8亿美元`) widens the span to the whole token
rather than dropping the figure, as "contract" or "strict" would. `doc._.misaligned`
counts the figures, cues, turns and sentences so widened (0 with callnlp's tokenizer).

Serialization: span groups are spaCy's own. The record travels with the Doc: `doc.to_bytes()`
(and so `nlp.pipe(..., n_process=2)` and `DocBin(store_user_data=True)`) writes it as the
event store's rows (`callnlp.schema.rows`), and `doc._.call` rebuilds it on first use after
loading; `span._.figure` and the others are read from it, so they come back too.

spaCy loads this package through the entry points `spacy_factories` and `spacy_tokenizers`
whenever it makes a pipeline, so importing it is kept light (the analysis is imported when
a component first runs).
"""

from __future__ import annotations

from callnlp.errors import MissingDependencyError

try:
    import spacy  # noqa: F401 - every module of the package needs it
except ImportError as exc:  # pragma: no cover - the spacy extra is missing
    raise MissingDependencyError(
        f"callnlp's spaCy components need spaCy ({exc}); pip install 'callnlp[spacy]'"
    ) from exc

from callnlp.spacy_pipes.component import CallnlpComponent, annotate, make_component
from callnlp.spacy_pipes.extensions import cues
from callnlp.spacy_pipes.tokenizer import CallnlpTokenizer, create_tokenizer

__all__ = ["CallnlpComponent", "CallnlpTokenizer", "annotate", "create_tokenizer", "cues", "make_component"]
