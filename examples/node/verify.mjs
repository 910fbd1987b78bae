// Asks scimd whether an API key or session token is valid, and prints
// whose it is:
//
//   SCIMD_URL=http://127.0.0.1:8080 SCIMD_APP_TOKEN=scimd_app_… node verify.mjs scimd_key_…
//
// Exits 0 for a valid credential, 1 for one that is not, 2 when scimd
// cannot say.
import { verify } from "./scimd.mjs";

const secret = process.argv[2];
if (!secret) {
  console.error("usage: node verify.mjs KEY");
  process.exit(2);
}
try {
  const v = await verify(secret);
  if (!v.valid) {
    console.log(`not valid: ${v.reason}`);
    process.exit(1);
  }
  console.log(`valid: ${v.user.user_name} (${v.user.id}), roles [${v.user.roles.join(" ")}], groups [${v.user.groups.join(" ")}]`);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
