/** The service access point: session management, discovery, capabilities and services. */
import type { ServerContext, ServiceElement } from "../../session/handler.ts";
import { clientCapability } from "./client_capability.ts";
import { Access } from "./element.ts";
import { getSpInfo } from "./get_sp_info.ts";
import { keepAlive } from "./keep_alive.ts";
import { login } from "./login.ts";
import { logout } from "./logout.ts";
import { LoginNonces } from "./nonces.ts";
import { polling } from "./polling.ts";
import { service } from "./service.ts";
import { versionDiscovery } from "./wv_csp_version_discovery.ts";

export function createAccess(server: ServerContext): ServiceElement {
  const access = new Access(server, new LoginNonces(server.store));
  return {
    name: "access",
    modules: [
      login(access),
      logout(access),
      keepAlive(access),
      polling(access),
      getSpInfo(access),
      service(access),
      clientCapability(access),
      versionDiscovery(access),
    ],
    userData: (userId) => Promise.resolve([{ prefix: ["login_nonce", userId] }]),
  };
}
