"""Tests of the XPath dialect (a package so the tests share `helpers` by relative import)."""
