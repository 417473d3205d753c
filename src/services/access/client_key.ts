/** What counts as one client: its IPv4 address, or the /64 of its IPv6 address (one host
 * usually holds a whole /64). */
export function clientKey(address: string): string {
  if (!address.includes(":")) return address;
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return mapped[1];
  const [head, tail = ""] = address.split("::");
  const groups = [...head.split(":").filter(Boolean)];
  const rest = tail.split(":").filter(Boolean);
  while (groups.length + rest.length < 8) groups.push("0");
  return [...groups, ...rest].slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":") + "::/64";
}
