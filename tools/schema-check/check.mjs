// Strict JSON Schema (draft 2020-12) check with ajv, a non-Python validator (issue 15).
//   node check.mjs SCHEMA_DIR [SCHEMA_FILE=DATA_FILE ...]
// Compiles every *.schema.json in SCHEMA_DIR in ajv's strict mode (unknown keywords, formats and
// ambiguous types are errors), then validates each DATA_FILE (a .json document or .jsonl, one
// document a line) against the named schema. Prints one line per problem; exit 1 on any.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [schemaDir, ...pairs] = process.argv.slice(2);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
let problems = 0;
const validators = {};
for (const name of readdirSync(schemaDir).filter((n) => n.endsWith(".schema.json")).sort()) {
  try {
    validators[name] = ajv.compile(JSON.parse(readFileSync(join(schemaDir, name), "utf8")));
    console.log(`ok schema ${name}`);
  } catch (e) {
    console.log(`schema ${name}: ${e.message}`);
    problems++;
  }
}
for (const pair of pairs) {
  const [schema, file] = pair.split("=");
  const validate = validators[schema];
  if (!validate) { console.log(`${file}: no valid schema ${schema}`); problems++; continue; }
  const text = readFileSync(file, "utf8");
  const docs = file.endsWith(".jsonl") ? text.split("\n").filter((l) => l.trim()) : [text];
  let bad = 0;
  docs.forEach((doc, i) => {
    if (!validate(JSON.parse(doc))) {
      bad++;
      if (bad <= 5) console.log(`${file}${docs.length > 1 ? ":" + (i + 1) : ""}: ${ajv.errorsText(validate.errors)}`);
    }
  });
  problems += bad;
  console.log(`${bad ? "FAIL" : "ok"} ${file}: ${docs.length - bad}/${docs.length} valid against ${schema}`);
}
process.exit(problems ? 1 : 0);
