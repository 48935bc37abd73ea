// configurable-http-proxy, answering a URL that is not valid percent-encoding with
// 400 instead of its own 500 (it decodes the path with decodeURIComponent, which
// throws URIError for "%ff" or "%c0%ae").
//
// usage: node proxy.mjs <configurable-http-proxy package folder> [proxy options...]
import { pathToFileURL } from "node:url";
import path from "node:path";

const home = process.argv.splice(2, 1)[0];
const { default: ConfigurableProxy } = await import(
  pathToFileURL(path.join(home, "lib", "configproxy.js")).href
);

const BODY = JSON.stringify({
  status: 400,
  message: "the URL path is not valid percent-encoding",
  field: "path",
});

function validPath(url) {
  try {
    decodeURIComponent(new URL(url, "http://localhost").pathname);
    return true;
  } catch (e) {
    return false;
  }
}

const handleProxy = ConfigurableProxy.prototype.handleProxy;
ConfigurableProxy.prototype.handleProxy = function (kind, req, res, ...rest) {
  if (validPath(req.url)) {
    return handleProxy.call(this, kind, req, res, ...rest);
  }
  this.log.warn("400 %s %s: invalid percent-encoding", req.method, req.url.slice(0, 200));
  if (kind === "web") {
    res.writeHead(400, { "Content-Type": "application/json" });
    res.end(BODY);
  } else {
    // a websocket upgrade: res is the raw socket
    res.end(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${Buffer.byteLength(BODY)}\r\nConnection: close\r\n\r\n${BODY}`,
    );
  }
  return Promise.resolve();
};

// configurable-http-proxy logs an uncaught error and goes on; a port it cannot listen
// on leaves it running with nothing to serve, so end instead and let the hub say why
process.on("uncaughtException", (e) => {
  if (e && (e.code === "EADDRINUSE" || e.code === "EACCES" || e.syscall === "listen")) {
    console.error(`configurable-http-proxy: ${e.message}`);
    process.exit(1);
  }
});

await import(pathToFileURL(path.join(home, "bin", "configurable-http-proxy")).href);
