/**
 * Loaded with NODE_OPTIONS=--require by `npm run bench -- --only program` into every Node process the
 * engine starts: in a provider process (the dynamic-provider host, the stand-in aws plugin) it wraps
 * each gRPC handler and appends "<kind> <method> <start ms> <end ms>" to $CFCN_GRPC_TIMING, so the
 * bench can tell how much of an `up` the providers were busy, and "<kind>-startup bind <start> <ready>"
 * for the time from the process's start to its port being bound. In the program's own process (the
 * language host's cmd/run) it appends "program-load <start> <loaded>" (from the process's start to the
 * program's entry module being loaded: Node, ts-node, the SDKs and every module the program imports)
 * and "program-run <loaded> <exit>" (configuration, look-ups, registrations and the wait on the engine).
 * Other processes are left alone.
 */
const fs = require("node:fs");
const { performance } = require("node:perf_hooks");
const file = process.env.CFCN_GRPC_TIMING;
const script = process.argv[1] || "";
if (file && /[\\/]cmd[\\/]run[\\/]index\.js$/.test(script)) {
    const Module = require("node:module");
    const load = Module._load;
    const started = performance.timeOrigin;
    let loaded;
    // The entry module is the one cmd/run requires by absolute path; everything it imports loads inside.
    Module._load = function (request, parent) {
        const result = load.apply(this, arguments);
        if (loaded === undefined && parent && /[\\/]cmd[\\/]run[\\/]run\.js$/.test(parent.filename) && request.startsWith("/")) {
            loaded = performance.timeOrigin + performance.now();
            fs.appendFileSync(file, `program-load entry ${started.toFixed(1)} ${loaded.toFixed(1)}\n`);
        }
        // @pulumi/pulumi serializes each dynamic provider (its closure, into the state) through this
        // module, loaded when the first dynamic resource is made: each call's interval.
        if (/[\\/]closure[\\/]serializeClosure(\.js)?$/.test(request) && !result.__timed) {
            const serializeFunction = result.serializeFunction;
            result.serializeFunction = function () {
                const start = performance.timeOrigin + performance.now();
                const done = () => {
                    const end = (performance.timeOrigin + performance.now()).toFixed(1);
                    fs.appendFileSync(file, `program-serialize provider ${start.toFixed(1)} ${end}\n`);
                };
                const promise = serializeFunction.apply(this, arguments);
                promise.then(done, done);
                return promise;
            };
            result.__timed = true;
        }
        return result;
    };
    process.on("exit", () => {
        if (loaded !== undefined) {
            fs.appendFileSync(file, `program-run entry ${loaded.toFixed(1)} ${(performance.timeOrigin + performance.now()).toFixed(1)}\n`);
        }
    });
}
const kind = script.includes("dynamic-provider") ? "dynamic" : script.includes("standin-aws") ? "aws" : undefined;
if (file && kind) {
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [process.cwd(), __dirname] }));
    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (service, implementation) {
        const timed = {};
        // The service definition names every method; an implementation may hold them on its prototype.
        for (const name of Object.keys(service)) {
            const handler = implementation[name];
            if (typeof handler !== "function") {
                continue;
            }
            timed[name] = function (call, callback) {
                const start = performance.timeOrigin + performance.now();
                return handler.call(implementation, call, (...args) => {
                    fs.appendFileSync(
                        file,
                        `${kind} ${name} ${start.toFixed(1)} ${(performance.timeOrigin + performance.now()).toFixed(1)}\n`,
                    );
                    return callback(...args);
                });
            };
        }
        return addService.call(this, service, timed);
    };
    // From the process's start to its gRPC port being bound: what the engine waits before the first call.
    const bindAsync = grpc.Server.prototype.bindAsync;
    grpc.Server.prototype.bindAsync = function (address, credentials, callback) {
        return bindAsync.call(this, address, credentials, (...args) => {
            fs.appendFileSync(
                file,
                `${kind}-startup bind ${performance.timeOrigin.toFixed(1)} ${(performance.timeOrigin + performance.now()).toFixed(1)}\n`,
            );
            return callback(...args);
        });
    };
}
