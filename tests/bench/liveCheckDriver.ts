/**
 * Runs the live check (watch/liveCheck.ts) `runs` times in this process and prints one JSON line:
 * the seconds of each run and the last verdict. Started by liveCheckBench.ts with
 * NODE_EXTRA_CA_CERTS trusting Pebble's root, so the handshakes verify.
 *
 *   node -r ts-node/register/transpile-only tests/bench/liveCheckDriver.ts options.json runs
 */
import * as fs from "node:fs";
import { CheckOptions, runCheck } from "../../watch/liveCheck";

async function main() {
    const options = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as CheckOptions;
    const runs = Number(process.argv[3] ?? "5");
    const seconds: number[] = [];
    let verdict = "";
    for (let i = 0; i < runs; i++) {
        const started = process.hrtime.bigint();
        verdict = (await runCheck(options)).verdict;
        seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
    console.log(JSON.stringify({ seconds, verdict }));
}

main()
    .then(() => process.exit(0))
    .catch((e) => {
        console.error(e);
        process.exit(1);
    });
