"""One module per removal rule: headline, paragraph, boilerplate, document."""
