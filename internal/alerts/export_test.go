package alerts

// FastDecodable is fastDecodable, for FuzzFastDecode and FuzzFastDecodable.
var FastDecodable = fastDecodable

// PayloadTypes make a new value of each type decodeJSON decodes webhook
// payloads into (Grafana's is Alertmanager's), for FuzzFastDecode.
var PayloadTypes = []func() any{
	func() any { return new(groupPayload) },
	func() any { return new(genericAlert) },
	func() any { return new(pdWebhook) },
	func() any { return new(pdIncident) },
	func() any { return new(pdNote) },
}

// ValuePath is valuePath, for FuzzValuePath.
var ValuePath = valuePath
