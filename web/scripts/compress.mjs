// compress.mjs -- after `vite build`: a gzip (-9) and a Brotli (11) copy
// of every text file of build/web, next to it (x.js.gz, x.js.br), kept
// only where smaller. Intake serves them to a browser that accepts them
// (intake_web.c): a cheap phone on a slow network downloads the
// compressed bytes, and nobody compresses on each request.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(process.argv[2] ?? '../build/web');
const TEXT = /\.(html|js|mjs|css|svg|webmanifest|json|txt)$/;
let files = 0, before = 0, after = 0;
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (TEXT.test(e.name)) {
      const raw = fs.readFileSync(p);
      const gz = zlib.gzipSync(raw, { level: 9 });
      const br = zlib.brotliCompressSync(raw, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
      });
      files++;
      before += raw.length;
      if (gz.length < raw.length) fs.writeFileSync(p + '.gz', gz);
      if (br.length < raw.length) fs.writeFileSync(p + '.br', br);
      after += Math.min(raw.length, br.length);
    }
  }
}
walk(root);
console.log(`compress: ${files} files, ${(before / 1024).toFixed(1)} KB -> ${(after / 1024).toFixed(1)} KB (Brotli)`);
