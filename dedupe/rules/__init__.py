"""The removal rules judged per article: headline, paragraph and boilerplate.

The fourth rule, near-duplicate articles, is corpus-wide: see `dedupe.index`.
"""
