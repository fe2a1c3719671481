DESCRIBE {{ stage|ident }}
