"""A cited question-answering assistant over inspection reports."""
