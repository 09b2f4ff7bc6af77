"""Reading documents, numbering their paragraphs, chunking, embedding and indexing them."""
