    @classmethod
    def pix(cls, pix_key_type: Union[PixKeyType, str], pix_key: str) -> Destination:
        """A PIX key destination."""
        return cls(type=DestinationType.PIX, pix_key_type=pix_key_type, pix_key=pix_key)

    @classmethod
    def account(cls, bank_account: BankAccount) -> Destination:
        """A bank-account destination."""
        return cls(type=DestinationType.BANK_ACCOUNT, bank_account=bank_account)
