// Writes every ```ts / ```typescript block of a Markdown file to OUT/readme-<line>.ts, each a
// module of its own (a block without import or export gets `export {};`, which would clash with an
// `export =`), padded with blank lines so that a compiler error's line number is the line in the
// Markdown file. Prints the files written, one a line.
//   node readme-snippets.js README.md OUT
"use strict";
const fs = require("fs");
const path = require("path");

const [markdown, out] = process.argv.slice(2);
if (!markdown || !out) {
    console.error("usage: readme-snippets.js MARKDOWN OUT");
    process.exit(2);
}
const lines = fs.readFileSync(markdown, "utf8").split("\n");
fs.mkdirSync(out, { recursive: true });
let open = null;
lines.forEach((line, i) => {
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (open === null) {
        if (fence) {
            open = { marker: fence[2], typescript: /^(ts|typescript)$/i.test(fence[3]), first: i + 2, code: [] };
        }
    } else if (fence && fence[2].startsWith(open.marker) && line.trim() === fence[2]) {
        if (open.typescript) {
            const file = path.join(out, `readme-${open.first}.ts`);
            const isModule = open.code.some((l) => /^(import|export)\b/.test(l));
            fs.writeFileSync(file, "\n".repeat(open.first - 1) + open.code.join("\n") + (isModule ? "\n" : "\nexport {};\n"));
            console.log(file);
        }
        open = null;
    } else {
        open.code.push(line);
    }
});
if (open !== null) {
    console.error(`${markdown}: a code block opened at line ${open.first - 1} is never closed`);
    process.exit(1);
}
