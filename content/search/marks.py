"""Putting diacritics back on Vietnamese typed without them, for the embedding model (which
reads unaccented Vietnamese poorly): "tien dien nha toi" -> "tiền điện nhà tôi"."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from content.search.tokens import tokens
from content.textnorm import fold, has_diacritics

# "tiền điện nhà tôi"), which reads unaccented Vietnamese poorly.
_EVERYDAY = """
tôi mình của không trong được có là gì như thế nào làm sao với cho em anh chị ạ nhé nhà muốn
hỏi bao nhiêu bao lâu ở đâu tiền điện nước thì mà này đó những các nào vậy rồi đã đang sẽ phải
cần nên để từ đến về ra vào lên xuống một hai ba người việc ngày tháng năm giờ xin giúp biết thế
sao đâu cái chỗ nói nghe trả lời hay tốt xấu giá mua bán đi học ăn uống xe cửa con vợ chồng bạn
bè đất sổ đỏ mấy nhiều ít lắm quá rất cũng còn nữa hết chưa bị mới cũ lớn nhỏ hôm nay mai
"""


class Marks:
    """Puts diacritics back on words typed without them: the most likely accented reading under
    a bigram model of the content's accented text (Viterbi over each word's known readings)."""

    def __init__(self, texts: list[str]) -> None:
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)
        self.uni: Counter[str] = Counter()
        self.bi: Counter[tuple[str, str]] = Counter()
        for text in texts:
            for sentence in re.split(r"[\n.?!;:()]+", text):
                if not has_diacritics(sentence):
                    continue  # a sentence typed without marks says nothing about them
                ws = ["<s>", *tokens(sentence), "</s>"]
                for w in ws[1:-1]:
                    self.forms[fold(w)][w] += 1
                    self.uni[w] += 1
                self.uni["<s>"] += 1
                self.bi.update(zip(ws, ws[1:], strict=False))
        for w in _EVERYDAY.split():
            self.forms[fold(w)][w] += 3
            self.uni[w] += 3

    def restore(self, words: list[tuple[str, str]]) -> list[str]:
        """(folded, as typed) words -> the likely accented words. A word typed with marks keeps
        them; a word no text knows stays as typed."""
        k = 2.0
        total = sum(self.uni.values()) or 1
        layers: list[list[tuple[str, float, int]]] = [[("<s>", 0.0, 0)]]
        for f, typed in [*words, ("</s>", "</s>")]:
            if typed == "</s>" or fold(typed) != typed or not self.forms.get(f):
                cands = {typed: max(self.uni.get(typed, 0), 1) / total}
            else:
                cands = {w: self.uni[w] / total for w in self.forms[f]}
            layer = []
            for c, pu in cands.items():
                best_s, best_j = -math.inf, 0
                for j, (prev, score, _) in enumerate(layers[-1]):
                    p = (self.bi.get((prev, c), 0) + k * pu) / (self.uni.get(prev, 0) + k)
                    if score + math.log(p) > best_s:
                        best_s, best_j = score + math.log(p), j
                layer.append((c, best_s, best_j))
            layers.append(layer)
        out: list[str] = []
        j = 0
        for layer in reversed(layers[1:]):
            c, _, j = layer[j]
            out.append(c)
        return out[::-1][:-1]
