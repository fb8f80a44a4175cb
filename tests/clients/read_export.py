"""Read export folders back the way the README's "Reading an export" tells each reader to.

    python read_export.py READER < request.json > answer.json

The request is {"exports": [{"name", "path", "format"}]}; each export's manifest is read from
beside its folder (`<path>.manifest.json`), as a user would. The answer maps each name to
{"columns": [...], "rows": [[...], ...]}, values as JSON (dates and decimals as text), or to
{"error": "..."}. Runs with the readers `make clients` installs (.clients/readers-venv).
"""

import datetime
import decimal
import json
import sys
import traceback
import warnings

warnings.filterwarnings("ignore")


def plain(value):
    """A value as JSON holds it, the same whichever reader produced it."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        value = value.item()  # a numpy scalar
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def answer(columns, rows):
    return {"columns": list(columns), "rows": [[plain(v) for v in row] for row in rows]}


def from_arrow(table):
    return answer(table.column_names, (list(r.values()) for r in table.to_pylist()))


def manifest(out):
    with open(f"{out}.manifest.json", encoding="utf-8") as f:
        return json.load(f)


def arrow_schema(out):
    """The export's columns as an Arrow schema, from the types its manifest gives."""
    import pyarrow as pa

    return pa.schema([(c["name"], pa.type_for_alias(c["arrow"])) for c in manifest(out)["columns"]])


def names(out):
    return [c["name"] for c in manifest(out)["columns"]]


# Each reader: ({format: read(out)}, what its result is as an answer). The calls are the
# README's ("Reading an export").


def pyarrow_reader():
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.dataset as ds
    import pyarrow.json

    def parquet(out):
        return ds.dataset(out, format="parquet").to_table()

    def jsonl(out):
        schema = arrow_schema(out)
        return ds.dataset(out, schema=schema, format="json").to_table()

    def csv(out):
        text = pyarrow.csv.ConvertOptions(
            column_types=dict.fromkeys(names(out), pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=False,
        )
        parse = pyarrow.csv.ParseOptions(newlines_in_values=True)
        return ds.dataset(out, format=ds.CsvFileFormat(parse, convert_options=text)).to_table()

    return {"parquet": parquet, "jsonl": jsonl, "csv": csv}, from_arrow


def duckdb_reader():
    import duckdb

    def parquet(out):
        return duckdb.sql(
            f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning = false)"
        )

    def jsonl(out):
        return duckdb.sql(f"SELECT * FROM read_json('{out}/**/*.jsonl', hive_partitioning = false)")

    def csv(out):
        return duckdb.sql(
            f"SELECT * FROM read_csv('{out}/**/*.csv', hive_partitioning = false, header = true, "
            "delim = ',', quote = '\"', escape = '\"', all_varchar = true, "
            "allow_quoted_nulls = false)"
        )

    return {"parquet": parquet, "jsonl": jsonl, "csv": csv}, lambda rel: answer(
        rel.columns, rel.fetchall()
    )


def polars_reader():
    import polars as pl

    def parquet(out):
        return pl.read_parquet(f"{out}/**/*.parquet", hive_partitioning=False)

    def jsonl(out):
        schema = pl.from_arrow(arrow_schema(out).empty_table()).schema
        # polars' JSON reader fails on 8- and 16-bit integers: read 64-bit ones, then cast
        wide = {name: pl.Int64 if kind.is_integer() else kind for name, kind in schema.items()}
        return pl.read_ndjson(f"{out}/**/*.jsonl", schema=wide).cast(schema)

    def csv(out):
        return pl.read_csv(f"{out}/**/*.csv", infer_schema=False)

    return {"parquet": parquet, "jsonl": jsonl, "csv": csv}, lambda df: answer(
        df.columns, df.rows()
    )


def daft_reader():
    import daft

    def parquet(out):
        return daft.read_parquet(f"{out}/**")

    def jsonl(out):
        schema = {f.name: daft.DataType.from_arrow_type(f.type) for f in arrow_schema(out)}
        return daft.read_json(f"{out}/**", infer_schema=False, schema=schema)

    def csv(out):
        text = dict.fromkeys(names(out), daft.DataType.string())
        return daft.read_csv(f"{out}/**", infer_schema=False, schema=text)

    return {"parquet": parquet, "jsonl": jsonl, "csv": csv}, lambda df: from_arrow(df.to_arrow())


def ray_reader():
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.json
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")

    def parquet(out):
        return ray.data.read_parquet(out, partitioning=None)

    def jsonl(out):
        schema = pyarrow.json.ParseOptions(explicit_schema=arrow_schema(out))
        return ray.data.read_json(out, partitioning=None, parse_options=schema)

    def csv(out):
        text = pyarrow.csv.ConvertOptions(
            column_types=dict.fromkeys(names(out), pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=False,
        )
        parse = pyarrow.csv.ParseOptions(newlines_in_values=True)
        return ray.data.read_csv(out, partitioning=None, convert_options=text, parse_options=parse)

    def table(dataset):
        return from_arrow(pa.concat_tables(ray.get(dataset.to_arrow_refs())))

    return {"parquet": parquet, "jsonl": jsonl, "csv": csv}, table


def spark_reader():
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")

    def parquet(out):
        return spark.read.option("recursiveFileLookup", "true").parquet(out)

    def jsonl(out):
        return spark.read.option("recursiveFileLookup", "true").json(out).select(*names(out))

    def csv(out):
        return spark.read.option("recursiveFileLookup", "true").csv(
            out, header=True, multiLine=True, escape='"', nullValue="\u0000"
        )

    def hive_parquet(out):  # Spark's own partition discovery: values from folder names
        return spark.read.parquet(out)

    readers = {"parquet": parquet, "jsonl": jsonl, "csv": csv, "hive_parquet": hive_parquet}
    return readers, lambda df: answer(df.columns, (list(r) for r in df.collect()))


READERS = {
    "pyarrow": pyarrow_reader,
    "duckdb": duckdb_reader,
    "polars": polars_reader,
    "daft": daft_reader,
    "ray": ray_reader,
    "spark": spark_reader,
}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    read, rows = READERS[sys.argv[1]]()
    out = {}
    for export in request["exports"]:
        try:
            kind = export["format"]
            if export.get("hive") and f"hive_{kind}" in read:
                kind = f"hive_{kind}"
            out[export["name"]] = rows(read[kind](export["path"]))
        except BaseException as e:  # polars panics are BaseException; the test shows it
            lines = traceback.format_exception_only(type(e), e)
            out[export["name"]] = {"error": " ".join(" ".join(lines).split())[:2000]}
    json.dump(out, sys.stdout, ensure_ascii=False)
