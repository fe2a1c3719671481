{#- Manifests were once recorded by absolute URL; they are known by their key relative
    to the store root now, so that a lake that moves (a renamed bucket, a relocated
    folder) keeps its state. Run once, inside the first load after the upgrade, for the
    dataset being loaded: each URL under the current root becomes its key. -#}
UPDATE {{ manifests_table|ident }}
SET url = SUBSTRING(url, {{ (root|length + 1)|lit }}, LENGTH(url))
WHERE dataset = {{ dataset|lit }} AND SUBSTRING(url, 1, {{ (root|length)|lit }}) = {{ root|lit }}
