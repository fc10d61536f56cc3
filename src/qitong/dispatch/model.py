"""The text classifier: which label (a category, a lead unit) an appeal's words point to.

Three views of the text, TF-IDF with sublinear counts: the words jieba finds
(``text.words``), the character 1- to 3-grams of those words run together,
which also catch the words jieba cuts differently, and the same grams of the
text's first ``LEAD`` characters alone (its title or subject: the few words
that name the case, which a long account would drown). Over them, two linear
learners, one against the rest, classes weighted inversely to their size
(scikit-learn's ``LinearSVC``): a plain SVM, and an SVM over the features
scaled by their naive-Bayes log-count ratio for each class (NBSVM, Wang and
Manning 2012), which leans on the words that tell one class from the rest.
Each one's margins are scaled to unit spread on the training texts and added,
the plain SVM's at ``PLAIN_SHARE``; both being linear in the same features, the
sum is one linear model (``Linear``), so a prediction costs what one SVM's
does. On the public messages the sum scores a macro-F1 0.005 above the plain
SVM, better in each of the five folds (docs/benchmarks.md). It trains on
5,000 messages in some 14 s of CPU and answers one text in some 3.5 ms
(jieba's segmentation included).

The confidence of ``top`` is the softmax of the classes' margins times
``SHARPNESS``, the factor of least log loss on a held-out fifth of the public
messages.

A model is saved as one pickle (``save``/``load``): written by the
installation itself or by ``qitong dispatchmodel train``, never taken from
anyone else.
"""

import math
import pickle
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from qitong.dispatch import text as T

SHARPNESS = 2.0
FORMAT = 4  # 4: the lead's view
# The lead: a text's first characters (its title or subject, as filed), a view of their own,
# so that the few words that name the case are not drowned by a long account of it.
LEAD = 25
PLAIN_SHARE = 0.5  # the plain SVM's margins beside the NBSVM's, each of unit spread
NB_ALPHA = 0.5  # the smoothing of the log-count ratios (0.25–1 scored within 0.0014)


@dataclass
class Linear:
    """A fitted linear classifier, one row of weights a class (one row for two classes,
    scikit-learn's convention: its margin is the second class's)."""

    classes_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray

    def decision_function(self, features):
        scores = np.asarray(features @ self.coef_.T) + self.intercept_
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, features):
        scores = self.decision_function(features)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


@dataclass
class Model:
    labels: list
    words: object  # a fitted TfidfVectorizer over the words
    chars: object  # a fitted TfidfVectorizer over character n-grams
    lead: object  # a fitted TfidfVectorizer over the character n-grams of the text's lead
    linear: Linear
    trained_at: float = field(default_factory=time.time)
    examples: int = 0
    format: int = FORMAT
    _fast: object = field(default=None, repr=False, compare=False)

    def _features(self, texts):
        return _views(self.words, self.chars, self.lead, [T.words(text) for text in texts])

    def predict(self, texts):
        return [str(label) for label in self.linear.predict(self._features(texts))]

    def margins(self, text):
        """The classes' margins for one text: ``decision_function`` without scikit-learn's
        per-call checks, which cost several times the arithmetic for a single text.

        The same TF-IDF (sublinear counts times idf, each view scaled to unit
        length) of the same words and character 1–3-grams, then the columns of
        the SVM's weights at those features (``tests/dispatch/test_model.py``
        checks the two agree).
        """
        if self._fast is None:
            self._fast = _Fast(self)
        return self._fast.margins(T.words(text))

    def top(self, text, k=3):
        """The ``k`` likeliest labels of one text, with their confidence, likeliest first."""
        scores = self.margins(text)
        peak = max(scores)
        weights = [math.exp(SHARPNESS * (score - peak)) for score in scores]
        total = sum(weights)
        ranked = sorted(
            zip(self.linear.classes_, weights, strict=True), key=lambda pair: pair[1], reverse=True
        )
        return [(str(label), weight / total) for label, weight in ranked[:k]]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fast"] = None  # rebuilt on first use
        return state

    def save(self, path_or_file):
        if hasattr(path_or_file, "write"):
            pickle.dump(self, path_or_file, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            with open(path_or_file, "wb") as out:
                pickle.dump(self, out, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path_or_file):
        """The model of a file this installation or the command wrote; ``ValueError`` if not one."""
        try:
            if hasattr(path_or_file, "read"):
                model = pickle.load(path_or_file)  # noqa: S301 (our own file, see the module)
            else:
                with open(path_or_file, "rb") as source:
                    model = pickle.load(source)  # noqa: S301
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError) as exc:
            raise ValueError(_("不是分拨模型文件：%(error)s") % {"error": exc}) from None
        if not isinstance(model, cls) or model.format != FORMAT:
            raise ValueError(_("不是本版本的分拨模型文件。"))
        return model


class _Fast:
    """A fitted model's TF-IDF and weights as plain lookups, for one text at a time."""

    def __init__(self, model):
        # Each view: its vocabulary, its idf, where its columns start.
        self.views, offset = [], 0
        for vectorizer in (model.words, model.chars, model.lead):
            self.views.append((vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.idf_)
        coef = model.linear.coef_
        self.intercept = model.linear.intercept_
        self.two = coef.shape[0] == 1  # two classes: one margin
        self.coef = coef

    @staticmethod
    def _weights(counts, index, idf):
        found = [(index[term], n) for term, n in counts.items() if term in index]
        values = [(1 + math.log(n)) * idf[j] for j, n in found]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return [j for j, _n in found], [v / norm for v in values]

    def margins(self, tokens):
        chars = T.joined(tokens)
        counts = (Counter(tokens), _grams(chars), _grams(chars[:LEAD]))
        cols, values = [], []
        for found, (index, idf, offset) in zip(counts, self.views, strict=True):
            view_cols, view_values = self._weights(found, index, idf)
            cols += [offset + j for j in view_cols]
            values += view_values
        scores = self.coef[:, cols] @ values + self.intercept if cols else self.intercept.copy()
        scores = [float(x) for x in scores]
        return [-scores[0], scores[0]] if self.two else scores


def _grams(chars):
    """The character 1- to 3-grams of ``chars``, counted (the char views' analyzer)."""
    return Counter(chars[i : i + n] for n in (1, 2, 3) for i in range(len(chars) - n + 1))


def _views(words, chars, lead, tokens, *, fitting=False):
    """The features of texts given as their ``tokens``: the three views side by side."""
    joined = [T.joined(t) for t in tokens]
    parts = (
        (words, [" ".join(t) for t in tokens]),
        (chars, joined),
        (lead, [j[:LEAD] for j in joined]),
    )
    return hstack(
        [
            vectorizer.fit_transform(docs) if fitting else vectorizer.transform(docs)
            for vectorizer, docs in parts
        ]
    ).tocsr()


def fit(texts, labels, *, weights=None, c=0.7, min_df=2, nb=True):
    """Train a model on ``texts`` (original or segmented) and their ``labels``.

    ``weights`` counts some examples more (the office's corrections). With
    fewer than two labels there is nothing to learn: ``ValueError``. ``nb``
    False leaves out the NBSVM: the plain SVM alone, the benchmark's reference.
    """
    labels = [str(label) for label in labels]
    if len(set(labels)) < 2:
        raise ValueError(_("至少需要两种标签。"))
    tokens = [T.words(text) for text in texts]
    # A word or gram must be seen twice, unless the sample is small.
    min_df = min_df if len(texts) >= 50 else 1
    words = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True, min_df=min_df, lowercase=False)
    chars, lead = (
        TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=min_df, lowercase=False
        )
        for _view in range(2)
    )
    features = _views(words, chars, lead, tokens, fitting=True)
    plain = LinearSVC(C=c, class_weight="balanced").fit(features, labels, sample_weight=weights)
    linear = Linear(plain.classes_, plain.coef_, plain.intercept_)
    if nb:
        linear = _sum(features, linear, _nbsvm(features, np.asarray(labels), linear, weights, c))
    return Model(
        labels=sorted(set(labels)),
        words=words,
        chars=chars,
        lead=lead,
        linear=linear,
        examples=len(labels),
    )


def _sum(features, plain, nb):
    """The NBSVM's margins and the plain SVM's at ``PLAIN_SHARE``, each scaled to unit spread
    on the training ``features``: one linear model."""

    def spread(model):
        return float(np.std(model.decision_function(features))) or 1.0

    nb_spread, plain_spread = spread(nb), spread(plain) / PLAIN_SHARE
    return Linear(
        classes_=plain.classes_,
        coef_=nb.coef_ / nb_spread + plain.coef_ / plain_spread,
        intercept_=nb.intercept_ / nb_spread + plain.intercept_ / plain_spread,
    )


def _nbsvm(features, labels, plain, weights, c):
    """Each class's SVM over the features scaled by their log-count ratio, folded back into
    weights of the unscaled features (``w_k * r_k``): one row a class, or one for two, as
    ``plain`` has them."""
    classes = plain.classes_
    present = (features > 0).astype(np.float64)
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    rows, intercepts = [], []
    for label in classes[1:] if len(classes) == 2 else classes:
        mine = labels == label
        p = NB_ALPHA + present.T @ (weights * mine)
        q = NB_ALPHA + present.T @ (weights * ~mine)
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        svm = LinearSVC(C=c, class_weight="balanced")
        svm.fit(features.multiply(ratio).tocsr(), mine, sample_weight=weights)
        rows.append(svm.coef_[0] * ratio)
        intercepts.append(svm.intercept_[0])
    return Linear(classes, np.vstack(rows), np.asarray(intercepts))


def scores(truth, predicted):
    """``{"macro_f1", "accuracy", "per_class": {label: {precision, recall, f1, support}}}``.

    Macro-F1 is the mean of the classes' F1 over the true labels' classes (the
    Teddy Cup's F): a class only predicted, never true, counts against the
    precision of the others but is not averaged in.
    """
    truth, predicted = [str(x) for x in truth], [str(x) for x in predicted]
    hits = Counter(t for t, p in zip(truth, predicted, strict=True) if t == p)
    true_counts, predicted_counts = Counter(truth), Counter(predicted)
    per_class, f1s = {}, []
    for label in sorted(true_counts):
        tp = hits[label]
        precision = tp / predicted_counts[label] if predicted_counts[label] else 0.0
        recall = tp / true_counts[label]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": true_counts[label],
        }
    macro = sum(f1s) / len(f1s) if f1s else 0.0
    accuracy = sum(hits.values()) / len(truth) if truth else 0.0
    return {"macro_f1": round(macro, 4), "accuracy": round(accuracy, 4), "per_class": per_class}
