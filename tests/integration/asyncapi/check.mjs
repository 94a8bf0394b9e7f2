import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'fs';
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(process.argv[2], 'utf8'));
const errors = diagnostics.filter(d => d.severity === 0);
for (const d of diagnostics) console.log(d.severity, d.code, d.message, JSON.stringify(d.path));
console.log(JSON.stringify({ ok: !!document && errors.length === 0, messages: document ? document.allMessages().length : 0 }));
process.exit(document && errors.length === 0 ? 0 : 1);
