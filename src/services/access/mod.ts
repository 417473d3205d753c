/** The service access point: session management, discovery, capabilities and services. */
import type { PrimitiveModule } from "../../session/handler.ts";
import { clientCapabilityRequest } from "./client_capability.ts";
import { getSpInfoRequest } from "./get_sp_info.ts";
import { keepAliveRequest } from "./keep_alive.ts";
import { loginRequest } from "./login.ts";
import { logoutRequest } from "./logout.ts";
import { pollingRequest } from "./polling.ts";
import { serviceRequest } from "./service.ts";
import { versionDiscoveryRequest } from "./version_discovery.ts";

export const accessModules: PrimitiveModule[] = [
  loginRequest,
  logoutRequest,
  keepAliveRequest,
  pollingRequest,
  getSpInfoRequest,
  serviceRequest,
  clientCapabilityRequest,
  versionDiscoveryRequest,
];
