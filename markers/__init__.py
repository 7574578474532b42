"""Image targets, QR codes and print-ready plaques: a library with no web or database imports."""
