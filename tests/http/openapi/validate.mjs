// Reads an OpenAPI document on stdin and validates it with
// @apidevtools/swagger-parser (the OpenAPI 3.1 schema, then every $ref
// resolved). Exits 0 when valid; otherwise prints the problems and exits 1.
import SwaggerParser from "@apidevtools/swagger-parser";

let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
  const api = await SwaggerParser.validate(JSON.parse(text));
  process.stdout.write(`valid: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths\n`);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
