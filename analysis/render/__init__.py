"""What a reader sees: charts, HTML fragments, the nbconvert exporter, the PDF."""
