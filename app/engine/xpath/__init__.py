"""ODK's XPath dialect: lexer, Pratt parser, compiler to closures, function library.

Written here rather than taken from a library: lxml/elementpath evaluate
XPath 1.0/2.0 over XML documents, but ODK deviates from both (dates compare
and subtract as day numbers, lazy `if`/`once`, `${name}` references that
resolve against the current repeat instance, empty node-sets read as ''), and
the form engine needs the parsed expression itself to build its dependency
graph. lxml serves as a differential oracle for plain XPath 1.0 in the tests.
"""
