// A static file server for the example page (wasm and ES modules do not load from file:// URLs).
//
//   node serve.mjs <export dir> [port]      # then open the printed URL
//
// "/" serves this directory (the page and node_modules/onnxruntime-web), "/case/<i>/" the i-th
// directory mounted (a model, its model_card.json and case.json). Localhost only.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript",
  ".json": "application/json", ".wasm": "application/wasm", ".onnx": "application/octet-stream",
};

// The file under `root` that `relative` names, or null when it leaves root or is not a file.
function inside(root, relative) {
  const path = normalize(join(root, decodeURIComponent(relative)));
  if (path !== root && !path.startsWith(root + sep)) return null;
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

// Serve `caseDirs` (more with server.mount(dir), which returns the directory's index).
export function serve(caseDirs, port = 0) {
  const roots = caseDirs.map((dir) => resolve(dir));
  const server = createServer((request, response) => {
    const { pathname } = new URL(request.url, "http://localhost");
    const match = pathname.match(/^\/case\/(\d+)\/(.*)$/);
    const file = match
      ? roots[Number(match[1])] && inside(roots[Number(match[1])], match[2])
      : inside(HERE, pathname === "/" ? "index.html" : pathname);
    if (!file) {
      response.writeHead(404).end(`${pathname}: not found`);
      return;
    }
    response.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(response);
  });
  server.mount = (dir) => roots.push(resolve(dir)) - 1;
  return new Promise((done) => server.listen(port, "127.0.0.1", () => done(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [exportDir, port = "8080"] = process.argv.slice(2);
  if (!exportDir) {
    console.error("usage: node serve.mjs <export dir with model.onnx, model_card.json, case.json> [port]");
    process.exit(2);
  }
  const server = await serve([exportDir], Number(port));
  console.log(`open http://127.0.0.1:${server.address().port}/?case=/case/0/case.json`);
}
