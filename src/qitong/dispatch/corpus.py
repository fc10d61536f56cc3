"""Labelled texts from a CSV file, for ``qitong dispatchmodel`` and the benchmark."""

import csv

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qitong.dispatch.text import row_text


def read_csv(path, text_column, label_column, *, need_labels=True):
    """``(texts, labels)`` of a UTF-8 CSV (with or without BOM).

    A row's text is ``text_column`` (``A+B`` joins columns), else 留言主题 +
    留言详情, else 分词文本 (``text.row_text``); a row without any text, or
    without a label when labels are needed, is an error naming its line.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as source:
            reader = csv.DictReader(source)
            header = reader.fieldnames or []
            missing = [
                name
                for name in [*text_column.split("+"), label_column]
                if name and name not in header
            ]
            if missing:
                raise ValidationError(
                    _("文件缺少列：%(columns)s") % {"columns": "、".join(missing)}
                )
            texts, labels = [], []
            for line, row in enumerate(reader, start=2):
                text = row_text(row, text_column)
                label = (row.get(label_column) or "").strip()
                if not text:
                    raise ValidationError(_("第 %(line)d 行没有文本。") % {"line": line})
                if need_labels and not label:
                    raise ValidationError(_("第 %(line)d 行没有标签。") % {"line": line})
                texts.append(text)
                labels.append(label)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError(_("无法读取文件：%(error)s") % {"error": exc}) from None
    if not texts:
        raise ValidationError(_("文件没有数据行。"))
    return texts, labels
