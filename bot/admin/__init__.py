"""What an administrator runs outside a chat: the senbot command, exports, subject access, the Teams app
package."""
