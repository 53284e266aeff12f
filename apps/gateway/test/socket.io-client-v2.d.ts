// socket.io-client 2 ships no types: the little the tests use of it.
declare module "socket.io-client-v2" {
  interface SocketV2 {
    on(event: string, listener: (...args: never[]) => void): SocketV2;
    once(event: string, listener: (...args: never[]) => void): SocketV2;
    emit(event: string, ...args: unknown[]): SocketV2;
    close(): SocketV2;
    readonly connected: boolean;
  }
  export default function io(url: string, options?: Record<string, unknown>): SocketV2;
}
