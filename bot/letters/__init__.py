"""Letters to parents: plain-language wording, templates the school edits, PDFs, and email through Graph."""
