"""Printed documents built as PDF with reportlab: Qt-free, previewed and printed by the UI."""
